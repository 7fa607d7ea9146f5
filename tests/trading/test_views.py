"""The sandbox trading endpoints over HTTP, in OpenAlgo's shapes (docs/api/trading.md)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from trading import market
from trading.models import Order, Position, Trade

from .support import call, fast_password_hashing, find_fall, freeze_market, place  # noqa: F401

pytestmark = pytest.mark.django_db

AT = 1_790_000_000.0  # a fixed moment for the simulated market


@pytest.fixture(autouse=True)
def _frozen_market(monkeypatch, settings):
    settings.MARKET_SEED = 42
    freeze_market(monkeypatch, AT)


@pytest.mark.parametrize("path", ["/api/v1/ping", "/api/v1/ping/"])
def test_ping_answers_with_and_without_the_trailing_slash(anon, platform_key, path):
    response = anon.post(path, {"apikey": platform_key}, format="json")
    assert response.status_code == 200
    assert response.json() == {"status": "success", "data": {"message": "pong", "broker": "sandbox"}}


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/*;q=0.9", "nonsense"])
def test_any_accept_header_gets_the_json_answer_not_406(anon, platform_key, accept):
    """OpenAlgo's server answers JSON whatever a client asks for; webhook senders and
    scripts often send a browser-like or odd Accept header."""
    response = anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["data"]["message"] == "pong"
    bad = anon.get("/api/v1/ping", HTTP_X_API_KEY="0" * 64, HTTP_ACCEPT=accept)
    assert (bad.status_code, bad.json()) == (403, {"status": "error", "message": "Invalid openalgo apikey"})


def test_a_market_buy_in_auto_mode_fills_at_the_ask(anon, user, platform_key):
    response = place(anon, platform_key, action="buy", quantity="10")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success" and set(body) == {"status", "orderid"}
    ask = market.snapshot("SBIN", "NSE").ask
    status = call(anon, "orderstatus", platform_key, orderid=body["orderid"]).json()
    assert status["status"] == "success"
    assert status["data"]["order_status"] == "complete"
    assert status["data"]["average_price"] == ask
    assert status["data"]["quantity"] == "10" and status["data"]["action"] == "BUY"
    assert Trade.objects.get(order__orderid=body["orderid"]).price == Decimal(str(ask))


def test_the_order_book_lists_orders_with_statistics(anon, platform_key):
    place(anon, platform_key, action="BUY")
    place(anon, platform_key, action="SELL", pricetype="LIMIT", price="1")  # marketable: fills at the bid
    place(anon, platform_key, action="BUY", pricetype="LIMIT", price="1")  # rests: nobody sells at 1
    book = call(anon, "orderbook", platform_key).json()
    assert book["status"] == "success"
    orders = book["data"]["orders"]
    assert [o["order_status"] for o in orders] == ["open", "complete", "complete"]  # newest first
    assert book["data"]["statistics"] == {
        "total_buy_orders": 2.0, "total_sell_orders": 1.0, "total_completed_orders": 2.0,
        "total_open_orders": 1.0, "total_rejected_orders": 0.0,
    }
    assert set(orders[0]) == {
        "action", "average_price", "exchange", "order_status", "orderid", "price", "pricetype", "product",
        "quantity", "symbol", "timestamp", "trigger_price",
    }


def test_trades_positions_and_funds_follow_the_fills(anon, platform_key, settings):
    settings.SANDBOX_STARTING_CASH = 100_000
    snap = market.snapshot("SBIN", "NSE")
    place(anon, platform_key, action="BUY", quantity="10")
    place(anon, platform_key, action="SELL", quantity="4")

    trades = call(anon, "tradebook", platform_key).json()["data"]
    assert [(t["action"], t["quantity"], t["average_price"]) for t in trades] == [
        ("BUY", 10.0, snap.ask), ("SELL", 4.0, snap.bid),
    ]
    assert trades[0]["trade_value"] == pytest.approx(10 * snap.ask)

    positions = call(anon, "positionbook", platform_key).json()["data"]
    realized = Decimal(str(snap.bid)) * 4 - Decimal(str(snap.ask)) * 4
    unrealized = (Decimal(str(snap.ltp)) - Decimal(str(snap.ask))) * 6
    assert positions == [{
        "symbol": "SBIN", "exchange": "NSE", "product": "MIS", "quantity": "6",
        "average_price": f"{snap.ask:.2f}", "ltp": str(snap.ltp), "pnl": f"{realized + unrealized:.2f}",
    }]

    funds = call(anon, "funds", platform_key).json()["data"]
    utilised = (Decimal(str(snap.ask)) * 6 / 5).quantize(Decimal("0.0001"))  # MIS equity: 5x leverage
    assert funds == {
        "availablecash": f"{Decimal(100_000) + realized - utilised:.2f}", "collateral": "0.00",
        "m2mrealized": f"{realized:.2f}", "m2munrealized": f"{unrealized:.2f}", "utiliseddebits": f"{utilised:.2f}",
    }


def test_funds_of_a_new_account_are_the_starting_cash(anon, platform_key, settings):
    settings.SANDBOX_STARTING_CASH = 250_000
    assert call(anon, "funds", platform_key).json()["data"]["availablecash"] == "250000.00"


def test_a_limit_order_away_from_the_market_rests_and_can_be_cancelled(anon, platform_key):
    orderid = place(anon, platform_key, pricetype="LIMIT", price="1.00").json()["orderid"]
    assert call(anon, "orderstatus", platform_key, orderid=orderid).json()["data"]["order_status"] == "open"
    cancelled = call(anon, "cancelorder", platform_key, orderid=orderid)
    assert cancelled.status_code == 200 and cancelled.json() == {"status": "success", "orderid": orderid}
    assert call(anon, "orderstatus", platform_key, orderid=orderid).json()["data"]["order_status"] == "cancelled"
    # OpenAlgo: cancelling an already cancelled order succeeds again.
    assert call(anon, "cancelorder", platform_key, orderid=orderid).status_code == 200
    assert not Trade.objects.exists()


def test_a_filled_order_cannot_be_cancelled(anon, platform_key):
    orderid = place(anon, platform_key).json()["orderid"]
    response = call(anon, "cancelorder", platform_key, orderid=orderid)
    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": f"Order {orderid} is complete and cannot be cancelled"}


def test_a_resting_limit_buy_fills_at_its_price_when_the_market_comes_down(anon, platform_key, monkeypatch):
    start, later = find_fall("SBIN", "NSE", AT, field="ask")
    freeze_market(monkeypatch, start)
    limit = market.snapshot("SBIN", "NSE", later).ask
    orderid = place(anon, platform_key, pricetype="LIMIT", price=str(limit)).json()["orderid"]
    assert call(anon, "orderstatus", platform_key, orderid=orderid).json()["data"]["order_status"] == "open"
    freeze_market(monkeypatch, later)
    data = call(anon, "orderstatus", platform_key, orderid=orderid).json()["data"]
    assert data["order_status"] == "complete"
    assert data["average_price"] == limit
    assert Position.objects.get().quantity == 10


def test_a_stop_loss_sell_waits_for_its_trigger_then_fills_at_market(anon, platform_key, monkeypatch):
    start, later = find_fall("SBIN", "NSE", AT, field="ltp", by=1)
    freeze_market(monkeypatch, start)
    place(anon, platform_key, quantity="5")  # something to protect
    trigger = round(market.snapshot("SBIN", "NSE").ltp - 1, 2)
    stop = place(anon, platform_key, action="SELL", quantity="5", pricetype="SL-M", trigger_price=str(trigger))
    orderid = stop.json()["orderid"]
    assert call(anon, "orderstatus", platform_key, orderid=orderid).json()["data"]["order_status"] == "trigger pending"
    freeze_market(monkeypatch, later)
    data = call(anon, "orderstatus", platform_key, orderid=orderid).json()["data"]
    assert data["order_status"] == "complete"
    assert data["average_price"] == market.snapshot("SBIN", "NSE", later).bid
    assert Position.objects.get().quantity == 0


def test_an_order_beyond_the_funds_is_rejected_and_shows_in_the_book(anon, platform_key, settings):
    settings.SANDBOX_STARTING_CASH = 1_000
    response = place(anon, platform_key, quantity="100")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error" and body["message"].startswith("Order rejected: Insufficient funds")
    assert Order.objects.get(orderid=body["orderid"]).status == "rejected"
    stats = call(anon, "orderbook", platform_key).json()["data"]["statistics"]
    assert stats["total_rejected_orders"] == 1.0
    assert not Position.objects.exclude(quantity=0).exists()


def test_closing_a_position_is_never_refused_for_funds(anon, platform_key, settings):
    settings.SANDBOX_STARTING_CASH = 10_000
    assert place(anon, platform_key, quantity="10").status_code == 200  # ~9,000 of 10,000 used
    assert place(anon, platform_key, action="SELL", quantity="10").status_code == 200
    assert Position.objects.get().quantity == 0


def test_another_users_order_is_not_found(anon, platform_key, other_user):
    from apikeys import services

    orderid = place(anon, platform_key, pricetype="LIMIT", price="1").json()["orderid"]
    _, other_key = services.platform_key_regenerate(user=other_user)
    for endpoint in ("orderstatus", "cancelorder"):
        response = call(anon, endpoint, other_key, orderid=orderid)
        assert response.status_code == 404
        assert response.json() == {"status": "error", "message": "Order not found"}
    assert call(anon, "orderbook", other_key).json()["data"]["orders"] == []
    assert Order.objects.get(orderid=orderid).status == "open"


def test_quotes_answer_openalgos_fields(anon, platform_key):
    response = call(anon, "quotes", platform_key, symbol="reliance", exchange="NSE")
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"open", "high", "low", "ltp", "ask", "bid", "prev_close", "volume", "oi"}
    snap = market.snapshot("RELIANCE", "NSE")
    assert data["ltp"] == snap.ltp and data["bid"] <= data["ltp"] <= data["ask"]
    assert data["low"] <= data["ltp"] <= data["high"]


def test_depth_answers_five_levels_a_side(anon, platform_key):
    response = anon.get(f"/api/v1/depth?apikey={platform_key}&symbol=INFY&exchange=BSE")
    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data["bids"]) == len(data["asks"]) == 5
    assert data["bids"][0]["price"] < data["asks"][0]["price"]
    assert [b["price"] for b in data["bids"]] == sorted((b["price"] for b in data["bids"]), reverse=True)
    assert [a["price"] for a in data["asks"]] == sorted(a["price"] for a in data["asks"])
    assert data["totalbuyqty"] == sum(b["quantity"] for b in data["bids"])
    assert set(data["bids"][0]) == {"price", "quantity"}


def test_a_symbol_the_master_does_not_list_gets_no_quote(anon, platform_key):
    response = call(anon, "quotes", platform_key, symbol="MYOWNCO", exchange="NSE")
    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": (
        "Symbol 'MYOWNCO' not found for exchange 'NSE'. Please verify the symbol name and ensure master "
        "contracts are downloaded.")}


def test_read_endpoints_also_answer_get_with_query_parameters(anon, platform_key):
    for endpoint in ("ping", "orderbook", "tradebook", "positionbook", "funds", "pendingorders"):
        assert anon.get(f"/api/v1/{endpoint}?apikey={platform_key}").status_code == 200, endpoint


@pytest.mark.parametrize("endpoint", ["placeorder", "cancelorder"])
def test_order_changing_endpoints_refuse_get(anon, platform_key, endpoint):
    response = anon.get(f"/api/v1/{endpoint}?apikey={platform_key}")
    assert response.status_code == 405
    assert response.json()["status"] == "error"


def test_a_webhook_sent_as_text_plain_is_still_read_as_json(anon, platform_key):
    import json

    body = json.dumps({"apikey": platform_key, "strategy": "TV", "symbol": "SBIN", "exchange": "NSE",
                       "action": "BUY", "quantity": "1"})
    response = anon.post("/api/v1/placeorder", body, content_type="text/plain; charset=utf-8")
    assert response.status_code == 200 and "orderid" in response.json()
