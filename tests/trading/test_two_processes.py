"""Two daphne processes over one database and one Redis: what is done through one is
seen by the other at once (revocations, order events, bad keys past the throttle), an
address blocked through one is refused a good key by the other within a second, and both
stream ticks. Skipped when no Redis answers on 127.0.0.1:6379 (or at REDIS_URL)."""
from __future__ import annotations

import json
import os
import time
import uuid

import httpx
import pytest
from cryptography.fernet import Fernet
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.livesupport import start_keyward
from tests.trading.redis_support import redis_answers

pytestmark = [pytest.mark.live, pytest.mark.own_services]

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
PASSWORD = "two-processes-pass-1"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not redis_answers(REDIS_URL):
        pytest.skip(f"no Redis answering at {REDIS_URL}")
    shared = tmp_path_factory.mktemp("cluster")
    run = uuid.uuid4().hex[:12]  # this run's own cache and channel names in a shared Redis
    env = {
        "DATABASE_URL": f"sqlite:///{shared / 'cluster.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"kw-test-{run}",
        "CHANNEL_PREFIX": f"kw-test-{run}",
        "FERNET_KEYS": Fernet.generate_key().decode(),  # one set of secrets for both
        "THROTTLE_INVALID_APIKEY": "6/min",
        "FEED_TICKS_PER_SECOND": "10",
    }
    a = start_keyward(shared / "a", env=env)
    try:
        b = start_keyward(shared / "b", env=env)
    except Exception:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def _jwt(server, username: str) -> str:
    answer = httpx.post(f"{server.url}/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["access"]


def _ws(server, key: str):
    sock = connect(server.ws_url + "/ws/", open_timeout=5)
    sock.send(json.dumps({"action": "authenticate", "apikey": key}))
    assert json.loads(sock.recv(timeout=5))["status"] == "success"
    return sock


def _next(sock, timeout: float = 3.0, skip: str = "market_data") -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(sock.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if message.get("type") != skip:
            return message


def test_a_key_regenerated_through_a_is_refused_by_b_and_its_sockets_on_b_close(cluster):
    a, b = cluster
    key = a.manage("seed_platform_key", "--username", "rotator", "--password", PASSWORD).strip()
    assert httpx.post(f"{b.url}/api/v1/ping", json={"apikey": key}).status_code == 200
    sock = _ws(b, key)

    regenerated = httpx.post(f"{a.url}/api/v1/apikey/", headers={"Authorization": f"Bearer {_jwt(a, 'rotator')}"})
    assert regenerated.status_code == 200
    started = time.monotonic()
    notice = _next(sock, timeout=1.0)
    assert notice["code"] == "KEY_REVOKED"
    with pytest.raises(ConnectionClosed) as closed:
        sock.recv(timeout=1.0)
    assert closed.value.rcvd.code == 4403 and time.monotonic() - started < 1.0

    assert httpx.post(f"{b.url}/api/v1/ping", json={"apikey": key}).status_code == 403
    new_key = regenerated.json()["api_key"]
    assert httpx.post(f"{b.url}/api/v1/ping", json={"apikey": new_key}).status_code == 200


def test_a_key_revoked_through_b_stops_working_on_a(cluster):
    a, b = cluster
    key = a.manage("seed_platform_key", "--username", "revoker", "--password", PASSWORD).strip()
    sock = _ws(a, key)
    assert httpx.delete(f"{b.url}/api/v1/apikey/", headers={"Authorization": f"Bearer {_jwt(b, 'revoker')}"}).status_code == 204
    assert _next(sock, timeout=1.0)["code"] == "KEY_REVOKED"
    assert httpx.post(f"{a.url}/api/v1/ping", json={"apikey": key}).status_code == 403


def test_order_events_from_a_reach_sockets_on_b_and_ticks_flow_on_both(cluster):
    a, b = cluster
    key = a.manage("seed_platform_key", "--username", "trader").strip()
    on_a, on_b = _ws(a, key), _ws(b, key)
    on_b.send(json.dumps({"action": "subscribe_orders"}))
    assert _next(on_b)["type"] == "subscribe_orders"
    placed = httpx.post(f"{a.url}/api/v1/placeorder", json={
        "apikey": key, "strategy": "T", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
        "pricetype": "MARKET", "product": "MIS", "quantity": "1",
    }).json()
    events = [_next(on_b), _next(on_b)]
    assert [e["event"] for e in events] == ["placed", "filled"] and events[1]["orderid"] == placed["orderid"]

    for sock in (on_a, on_b):
        sock.send(json.dumps({"action": "subscribe", "symbol": "INFY", "exchange": "NSE", "mode": 1}))
    ticks = {}
    for name, sock in (("a", on_a), ("b", on_b)):
        assert _next(sock)["type"] == "subscribe"
        ticks[name] = _next(sock, skip="subscribe")
    assert ticks["a"]["type"] == ticks["b"]["type"] == "market_data"
    assert ticks["a"]["symbol"] == ticks["b"]["symbol"] == "INFY"
    for sock in (on_a, on_b):
        sock.close()


def test_the_bad_key_throttle_counts_across_both_processes(cluster):
    a, b = cluster
    # From a client address of its own (any 127.x reaches the server), so the bad keys
    # of the other tests here do not count against it.
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.77")) as client:
        codes = [
            client.post(f"{server.url}/api/v1/ping", json={"apikey": "e" * 64}).status_code
            for server in (a, b, a, b, a, b, a, b)
        ]
    # 6 bad keys per minute from one IP across both processes, then 429 from either.
    assert codes[:6] == [403] * 6 and codes[6:] == [429, 429]


def test_an_address_blocked_through_one_process_is_refused_a_good_key_by_the_other(cluster):
    a, b = cluster
    key = a.seed_key("blocked-elsewhere")
    if time.time() % 60 > 54:  # keep the whole test inside one throttle window
        time.sleep(60.5 - time.time() % 60)
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.78")) as client:
        # b serves this address once, so it holds a (clean) view of its bad-key count.
        assert client.get(f"{b.url}/api/v1/ping", headers={"X-API-KEY": key}).status_code == 200
        codes = [client.post(f"{a.url}/api/v1/ping", json={"apikey": "f" * 64}).status_code for _ in range(7)]
        assert codes == [403] * 6 + [429]
        time.sleep(1.2)  # INVALID_APIKEY_RECHECK_SECONDS, 1 s by default: b's view is now too old
        for server in (b, a):
            assert client.get(f"{server.url}/api/v1/ping", headers={"X-API-KEY": key}).status_code == 429
