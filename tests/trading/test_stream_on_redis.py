"""The WebSocket stream of a daphne process on the production layout (channels_redis):
an idle authenticated socket stays up and keeps receiving ticks and order events.

Skipped when no Redis answers at REDIS_URL (or 127.0.0.1:6379)."""
from __future__ import annotations

import json
import os
import time
import uuid

import httpx
import pytest
from websockets.sync.client import connect

from tests.livesupport import start_keyward
from tests.trading.redis_support import redis_answers

pytestmark = [pytest.mark.live, pytest.mark.own_services]

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not redis_answers(REDIS_URL):
        pytest.skip(f"no Redis answering at {REDIS_URL}")
    run = uuid.uuid4().hex[:12]
    live = start_keyward(tmp_path_factory.mktemp("redis-stream"), env={
        "REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": f"kw-test-{run}", "CHANNEL_PREFIX": f"kw-test-{run}",
        "FEED_TICKS_PER_SECOND": "2",
    })
    try:
        yield live
    finally:
        live.stop()


def _next(sock, timeout: float = 3.0, skip: str = "market_data") -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(sock.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if message.get("type") != skip:
            return message


def test_an_idle_socket_on_redis_keeps_receiving_ticks_and_order_events_after_30_seconds(server):
    key = server.seed_key("idler")
    with connect(server.ws_url + "/ws/", open_timeout=5) as sock:
        sock.send(json.dumps({"action": "authenticate", "apikey": key}))
        assert _next(sock)["status"] == "success"
        sock.send(json.dumps({"action": "subscribe_orders"}))
        assert _next(sock)["type"] == "subscribe_orders"
        sock.send(json.dumps({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1}))
        assert _next(sock)["type"] == "subscribe"
        # The client sends nothing for 30 s; it only reads the ticks as they come.
        deadline, ticks = time.monotonic() + 30, 0
        while time.monotonic() < deadline:
            message = json.loads(sock.recv(timeout=5))
            assert message["type"] == "market_data", message
            ticks += 1
        assert ticks >= 40  # 2 a second for 30 s, none lost to a dead socket
        placed = httpx.post(f"{server.url}/api/v1/placeorder", json={
            "apikey": key, "strategy": "idle", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "pricetype": "MARKET", "product": "MIS", "quantity": "1",
        }).json()
        events = [_next(sock), _next(sock)]
        assert [e["event"] for e in events] == ["placed", "filled"] and events[1]["orderid"] == placed["orderid"]
        assert _next(sock, skip="")["type"] == "market_data"
    assert "TimeoutError" not in server.log(), server.log()[-3000:]
