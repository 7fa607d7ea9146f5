"""OpenAlgo's own feed client (PyPI ``openalgo``: ``api(..., ws_url=...)``, websocket-client
underneath) against a live daphne: connect → subscribe LTP / Quote / Depth → data arrives
through the SDK's own parsing → unsubscribe → disconnect."""
from __future__ import annotations

import threading
import time

import pytest
from openalgo import api as OpenAlgoClient

from tests.livesupport import start_keyward

pytestmark = [pytest.mark.live, pytest.mark.own_services]

RELIANCE = [{"exchange": "NSE", "symbol": "RELIANCE"}]
INFY = [{"exchange": "NSE", "symbol": "INFY"}]
TCS = [{"exchange": "NSE", "symbol": "TCS"}]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_keyward(tmp_path_factory.mktemp("sdk-feed"), env={"FEED_TICKS_PER_SECOND": "10"})
    try:
        yield live
    finally:
        live.stop()


class Inbox:
    """Collects what the SDK hands its callback (called on the SDK's socket thread)."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self._lock = threading.Lock()

    def __call__(self, item: dict) -> None:
        with self._lock:
            self.items.append(item)

    def count(self) -> int:
        with self._lock:
            return len(self.items)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while self.count() < n and time.monotonic() < deadline:
            time.sleep(0.02)
        with self._lock:
            assert len(self.items) >= n, f"only {len(self.items)} of {n} updates within {timeout}s"
            return list(self.items)


def assert_stops(inbox: Inbox) -> None:
    """After an unsubscribe, at most an update already in flight arrives; then nothing."""
    time.sleep(0.5)
    settled = inbox.count()
    time.sleep(0.5)
    assert inbox.count() == settled


@pytest.fixture
def client(server):
    sdk = OpenAlgoClient(api_key=server.seed_key("feed-trader"), host=server.url, ws_url=server.ws_url)
    assert sdk.connect() is True
    yield sdk
    sdk.disconnect()


def test_ltp_quote_and_depth_reach_the_sdk_and_stop_after_unsubscribe(client):
    ltp = Inbox()
    assert client.subscribe_ltp(RELIANCE, on_data_received=ltp)
    updates = ltp.wait_for(3)
    assert {u["symbol"] for u in updates} == {"RELIANCE"} and all(u["mode"] == 1 for u in updates)
    stored = client.get_ltp()["ltp"]["NSE"]["RELIANCE"]
    assert stored["ltp"] > 0 and stored["timestamp"] > 1_600_000_000_000

    quote = Inbox()
    assert client.subscribe_quote(INFY, on_data_received=quote)
    data = quote.wait_for(2)[-1]["data"]
    assert data["high"] >= data["ltp"] >= data["low"] > 0 and data["volume"] > 0
    assert client.get_quotes()["quote"]["NSE"]["INFY"]["open"] > 0

    depth = Inbox()
    assert client.subscribe_depth(TCS, on_data_received=depth)
    book = depth.wait_for(2)[-1]["data"]["depth"]
    assert len(book["buy"]) == 5 and len(book["sell"]) == 5
    assert book["buy"][0]["price"] < book["sell"][0]["price"]
    assert client.get_depth()["depth"]["NSE"]["TCS"]["ltp"] > 0

    assert client.unsubscribe_ltp(RELIANCE)
    assert client.unsubscribe_quote(INFY)
    assert client.unsubscribe_depth(TCS)
    for inbox in (ltp, quote, depth):
        assert_stops(inbox)


def test_a_bad_key_does_not_authenticate(server):
    sdk = OpenAlgoClient(api_key="f" * 64, host=server.url, ws_url=server.ws_url)
    try:
        assert sdk.connect() is False
    finally:
        sdk.disconnect()


def test_the_sdk_reconnects_after_disconnect(client):
    client.disconnect()
    assert client.connect() is True
    ltp = Inbox()
    assert client.subscribe_ltp(RELIANCE, on_data_received=ltp)
    ltp.wait_for(1)
