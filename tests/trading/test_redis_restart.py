"""Fault test: two daphne processes on one database and a Redis of the test's own; Redis is
killed and restarted under WebSocket and HTTP load. After it is back, the first socket
opened on each process authenticates and gets order events from the other process, and
HTTP answers on both (before, connections left stale in each process's pool failed the
first commands after the restart, and the first socket with them).

On PostgreSQL when DATABASE_URL names one (a fresh database, dropped afterwards), else
SQLite."""
from __future__ import annotations

import json
import os
import threading
import time
import uuid

import httpx
import pytest
from cryptography.fernet import Fernet
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.livesupport import start_keyward
from tests.trading.redis_support import own_redis

pytestmark = pytest.mark.live


@pytest.fixture
def database_url(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'fault.sqlite3'}"
        return
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"kw_fault_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _order(key: str) -> dict:
    return {"apikey": key, "strategy": "fault", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "pricetype": "MARKET", "product": "MIS", "quantity": "1"}


def _authenticate(server, key: str):
    sock = connect(server.ws_url + "/ws/", open_timeout=5)
    sock.send(json.dumps({"action": "authenticate", "apikey": key}))
    return sock, json.loads(sock.recv(timeout=10))


def _next(sock, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(sock.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if message.get("type") != "market_data":
            return message


def _load(servers, key: str, stop: threading.Event, outcomes: list) -> None:
    """HTTP requests and short-lived sockets at both processes until ``stop``."""
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            for server in servers:
                try:
                    outcomes.append(client.post(f"{server.url}/api/v1/ping", json={"apikey": key}).status_code)
                except httpx.HTTPError:
                    outcomes.append("http-error")
                try:
                    sock, answer = _authenticate(server, key)
                    sock.send(json.dumps({"action": "subscribe", "symbol": "INFY", "exchange": "NSE", "mode": 1}))
                    sock.recv(timeout=2)
                    sock.close()
                    outcomes.append(answer.get("status"))
                except (ConnectionClosed, OSError, TimeoutError):
                    outcomes.append("ws-closed")
            time.sleep(0.05)


def test_after_a_redis_restart_the_first_socket_on_each_process_works(tmp_path, database_url):
    with own_redis() as redis:
        env = {
            "DATABASE_URL": database_url, "REDIS_URL": redis.url, "FERNET_KEYS": Fernet.generate_key().decode(),
            "FEED_TICKS_PER_SECOND": "5", "WS_MAX_CONNECTIONS_PER_USER": "50",
        }
        a = start_keyward(tmp_path / "a", env=env)
        try:
            b = start_keyward(tmp_path / "b", env=env)
        except Exception:
            a.stop()
            raise
        try:
            key = a.seed_key("through-a-restart")
            loader_key = a.seed_key("load")
            # Long-lived sockets on both, subscribed, while the load runs.
            held = [_authenticate(server, key)[0] for server in (a, b)]
            stop, outcomes = threading.Event(), []
            loader = threading.Thread(target=_load, args=((a, b), loader_key, stop, outcomes))
            loader.start()
            time.sleep(2)
            redis.stop()
            time.sleep(2)
            stop.set()
            loader.join(timeout=60)
            assert outcomes, "the load never ran"
            redis.start()  # same port, empty, as a restarted Redis without persistence

            # After it is back: the first socket on each process works, with events across processes.
            for here, there in ((a, b), (b, a)):
                sock, answer = _authenticate(here, key)
                assert answer["status"] == "success", (here.url, answer)
                sock.send(json.dumps({"action": "subscribe_orders"}))
                assert _next(sock)["type"] == "subscribe_orders"
                placed = httpx.post(f"{there.url}/api/v1/placeorder", json=_order(key), timeout=10)
                assert placed.status_code == 200, placed.text
                events = [_next(sock), _next(sock)]
                assert [e["event"] for e in events] == ["placed", "filled"], events
                assert events[1]["orderid"] == placed.json()["orderid"]
                sock.close()
            for server in (a, b):
                assert httpx.post(f"{server.url}/api/v1/ping", json={"apikey": key}, timeout=10).status_code == 200
            for sock in held:
                sock.close()
            print("load outcomes:", {o: outcomes.count(o) for o in set(outcomes)})
        finally:
            a.stop()
            b.stop()
