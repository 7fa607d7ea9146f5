"""OpenAlgo's own Python SDK (PyPI ``openalgo``, pinned in requirements-dev.txt) against
a live Keyward on 127.0.0.1: its REST client, its paths, its parsing, unchanged."""
from __future__ import annotations

import time

import httpx
import pytest
from openalgo import api as OpenAlgoClient

from tests.livesupport import keyward_live  # noqa: F401
from tests.trading.support import front_future

pytestmark = [pytest.mark.live, pytest.mark.own_services]


@pytest.fixture(scope="module")
def client(keyward_live):  # noqa: F811
    return OpenAlgoClient(api_key=keyward_live.seed_key("sdk-trader"), host=keyward_live.url, timeout=30)


def ok(result: dict) -> dict:
    assert isinstance(result, dict) and result.get("status") == "success", result
    return result


def test_the_sdk_trades_and_reads_every_book(client):
    placed = ok(client.placeorder(strategy="SDK", symbol="SBIN", action="BUY", exchange="NSE",
                                  price_type="MARKET", product="MIS", quantity=5))
    orderid = placed["orderid"]

    status = ok(client.orderstatus(order_id=orderid, strategy="SDK"))["data"]
    assert status["orderid"] == orderid and status["order_status"] == "complete"

    quote = ok(client.quotes(symbol="SBIN", exchange="NSE"))["data"]
    resting = ok(client.placeorder(strategy="SDK", symbol="SBIN", action="BUY", exchange="NSE", price_type="LIMIT",
                                   product="MIS", quantity=1, price=round(quote["ltp"] * 0.5, 1)))
    ok(client.cancelorder(order_id=resting["orderid"], strategy="SDK"))

    book = ok(client.orderbook())["data"]
    assert {o["orderid"]: o["order_status"] for o in book["orders"]} == {
        orderid: "complete", resting["orderid"]: "cancelled",
    }
    assert book["statistics"]["total_completed_orders"] == 1

    trades = ok(client.tradebook())["data"]
    assert [(t["orderid"], t["quantity"]) for t in trades] == [(orderid, 5.0)]

    positions = ok(client.positionbook())["data"]
    assert [(p["symbol"], p["quantity"]) for p in positions] == [("SBIN", "5")]

    funds = ok(client.funds())["data"]
    # MIS equity at OpenAlgo's 5x leverage: 5 shares hold the margin of one.
    assert float(funds["utiliseddebits"]) == pytest.approx(5 * status["average_price"] / 5, abs=0.01)

    depth = ok(client.depth(symbol=front_future(), exchange="NFO"))["data"]
    assert len(depth["bids"]) == len(depth["asks"]) == 5


def test_the_sdk_reports_a_bad_key_as_openalgo_does(keyward_live):  # noqa: F811
    bad = OpenAlgoClient(api_key="0" * 64, host=keyward_live.url, timeout=30)
    result = bad.funds()
    assert result["status"] == "error" and result["code"] == 403
    assert "Invalid openalgo apikey" in result["message"]


def test_the_sdk_sees_semi_auto_orders_queued(keyward_live):  # noqa: F811
    key = keyward_live.seed_key("sdk-cautious", mode="semi_auto")
    result = ok(OpenAlgoClient(api_key=key, host=keyward_live.url, timeout=30).placeorder(
        strategy="SDK", symbol="TCS", action="SELL", exchange="NSE", quantity=1))
    assert result["mode"] == "semi_auto" and result["message"] == "Order queued for approval in Action Center"
    listed = httpx.post(f"{keyward_live.url}/api/v1/pendingorders", json={"apikey": key}).json()
    assert [o["pending_order_id"] for o in listed["data"]["orders"]] == [result["pending_order_id"]]


def test_no_redirects_both_spellings_answer_directly(keyward_live):  # noqa: F811
    key = keyward_live.seed_key("sdk-paths")
    for path in ("/api/v1/ping", "/api/v1/ping/"):
        response = httpx.post(f"{keyward_live.url}{path}", json={"apikey": key}, follow_redirects=False)
        assert response.status_code == 200, path


def test_the_access_log_never_holds_the_key(keyward_live):  # noqa: F811
    key = keyward_live.seed_key("sdk-logged")
    assert httpx.get(f"{keyward_live.url}/api/v1/ping", params={"apikey": key}).status_code == 200
    deadline = time.monotonic() + 5
    while "/api/v1/ping?apikey=" not in keyward_live.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = keyward_live.log()
    assert "/api/v1/ping?apikey=[REDACTED]" in log
    assert key not in log
