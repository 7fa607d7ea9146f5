"""OpenAlgo's sandbox rules in Keyward's paper broker: margin by leverage, blocked per
order and released on fill or cancel, rejection when short; CNC sells need shares; CNC
buys settle into holdings the next IST day; MIS is squared off at the exchange's time;
and the account endpoints that show it (funds, holdings, margin, analyzer)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apikeys import services
from trading import broker, market
from trading.models import Holding, Order, Position

from .support import call, fast_password_hashing, freeze_market, front_future, listed_option, place  # noqa: F401

pytestmark = pytest.mark.django_db

AT = 1_790_000_000.0
Q = Decimal("0.0001")


@pytest.fixture(autouse=True)
def _frozen_market(monkeypatch, settings):
    settings.MARKET_SEED = 42
    settings.SANDBOX_STARTING_CASH = 100_000
    freeze_market(monkeypatch, AT)


def funds(anon, key) -> dict:
    return {k: Decimal(v) for k, v in call(anon, "funds", key).json()["data"].items()}


# --- margin by leverage ------------------------------------------------------------------

@pytest.mark.parametrize(("symbol", "exchange", "product", "action", "leverage"), [
    ("SBIN", "NSE", "MIS", "BUY", 5), ("SBIN", "NSE", "CNC", "BUY", 1), ("SBIN", "NSE", "NRML", "SELL", 1),
    ("front future", "NFO", "NRML", "SELL", 10), ("listed option", "NFO", "NRML", "BUY", 1),
])
def test_the_margin_endpoint_applies_openalgos_leverage(anon, platform_key, symbol, exchange, product, action,
                                                        leverage):
    # Derivatives are listed as of the frozen market date.
    symbol = {"front future": front_future, "listed option": listed_option}.get(symbol, lambda: symbol)()
    response = call(anon, "margin", platform_key, positions=[
        {"symbol": symbol, "exchange": exchange, "action": action, "quantity": "10", "product": product,
         "pricetype": "LIMIT", "price": "100"},
    ])
    assert response.status_code == 200
    assert response.json()["data"] == {"total_margin_required": 1000 / leverage, "span_margin": 0.0,
                                       "exposure_margin": 1000 / leverage}


def test_leverage_is_a_setting(anon, platform_key, settings):
    settings.SANDBOX_EQUITY_MIS_LEVERAGE = 2
    body = call(anon, "margin", platform_key, positions=[
        {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "10", "product": "MIS",
         "pricetype": "LIMIT", "price": "100"}]).json()
    assert body["data"]["total_margin_required"] == 500.0


@pytest.mark.parametrize(("positions", "message"), [
    ([], "positions: Positions must contain 1 to 50 items."),
    ([{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "10", "product": "MIS"}],
     "Missing mandatory field(s): positions.0.pricetype"),
    ([{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "0", "product": "MIS",
       "pricetype": "MARKET"}], "positions.0.quantity: Quantity must be a positive number."),
])
def test_margin_validation_errors(anon, platform_key, positions, message):
    response = call(anon, "margin", platform_key, positions=positions)
    assert (response.status_code, response.json()) == (400, {"status": "error", "message": message})


def test_an_open_order_blocks_its_margin_and_a_cancel_releases_it(anon, platform_key):
    orderid = place(anon, platform_key, pricetype="LIMIT", price="100", quantity="50").json()["orderid"]
    blocked = Decimal(100 * 50) / 5
    assert Order.objects.get(orderid=orderid).margin_blocked == blocked
    assert funds(anon, platform_key)["availablecash"] == Decimal(100_000) - blocked
    assert funds(anon, platform_key)["utiliseddebits"] == blocked
    call(anon, "cancelorder", platform_key, orderid=orderid)
    assert funds(anon, platform_key)["availablecash"] == Decimal(100_000)


def test_a_fill_releases_the_block_and_the_position_holds_its_margin(anon, platform_key):
    ask = Decimal(str(market.snapshot("SBIN", "NSE").ask))
    orderid = place(anon, platform_key, quantity="50").json()["orderid"]
    assert Order.objects.get(orderid=orderid).margin_blocked == 0
    assert funds(anon, platform_key)["utiliseddebits"] == (ask * 50 / 5).quantize(Decimal("0.01"))


def test_an_order_beyond_the_free_margin_is_rejected_with_openalgos_message(anon, platform_key):
    place(anon, platform_key, pricetype="LIMIT", price="100", quantity="4000")  # blocks 80,000 of 100,000
    response = place(anon, platform_key, pricetype="LIMIT", price="100", quantity="1500")  # needs 30,000
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Order rejected: Insufficient funds. Required: \u20b930000.00, Available: \u20b920000.00, "
        "Shortage: \u20b910000.00")


def test_reducing_a_position_blocks_nothing(anon, platform_key):
    place(anon, platform_key, quantity="100")
    orderid = place(anon, platform_key, action="SELL", pricetype="LIMIT", price="100000", quantity="60").json()[
        "orderid"]
    assert Order.objects.get(orderid=orderid).margin_blocked == 0


# --- CNC: sells need shares; buys settle into holdings -----------------------------------

def test_a_cnc_sell_without_shares_is_rejected(anon, platform_key):
    response = place(anon, platform_key, action="SELL", product="CNC", quantity="1")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Order rejected: Cannot sell SBIN in CNC. No positions or holdings available. CNC (delivery) requires "
        "existing shares. Use MIS for intraday short selling.")


def test_a_cnc_sell_of_more_than_owned_is_rejected_and_of_owned_shares_fills(anon, platform_key):
    place(anon, platform_key, product="CNC", quantity="5")
    too_many = place(anon, platform_key, action="SELL", product="CNC", quantity="6")
    assert too_many.json()["message"] == (
        "Order rejected: Cannot sell 6 shares of SBIN in CNC. Only 5 shares available (Position: 5, Holdings: 0)")
    assert place(anon, platform_key, action="SELL", product="CNC", quantity="5").status_code == 200


def yesterday(**filters) -> None:
    Position.objects.filter(**filters).update(updated_at=timezone.now() - timedelta(days=1))


def test_cnc_buys_of_an_earlier_day_become_holdings(anon, platform_key):
    ask = Decimal(str(market.snapshot("SBIN", "NSE").ask))
    place(anon, platform_key, product="CNC", quantity="10")
    before = funds(anon, platform_key)["availablecash"]
    assert call(anon, "holdings", platform_key).json()["data"]["holdings"] == []
    yesterday(product="CNC")
    data = call(anon, "holdings", platform_key).json()["data"]
    ltp = Decimal(str(market.snapshot("SBIN", "NSE").ltp))
    pnl = ((ltp - ask) * 10).quantize(Decimal("0.01"))
    assert data["holdings"] == [{"symbol": "SBIN", "exchange": "NSE", "product": "CNC", "quantity": 10,
                                 "pnl": float(pnl), "pnlpercent": float((pnl * 100 / (ask * 10)).quantize(
                                     Decimal("0.01")))}]
    assert data["statistics"]["totalinvvalue"] == float((ask * 10).quantize(Decimal("0.01")))
    assert Position.objects.get(product="CNC").quantity == 0
    assert funds(anon, platform_key)["availablecash"] == before  # the money moved into holdings


def test_selling_holdings_credits_the_proceeds(anon, platform_key):
    snap = market.snapshot("SBIN", "NSE")
    place(anon, platform_key, product="CNC", quantity="10")
    yesterday(product="CNC")
    start = funds(anon, platform_key)["availablecash"]
    assert place(anon, platform_key, action="SELL", product="CNC", quantity="4").status_code == 200
    assert Holding.objects.get().quantity == 6
    proceeds = Decimal(str(snap.bid)) * 4
    assert funds(anon, platform_key)["availablecash"] == (start + proceeds).quantize(Decimal("0.01"))


# --- MIS auto square-off -------------------------------------------------------------------

def test_mis_positions_from_before_the_square_off_time_are_closed_at_that_moment(anon, user, platform_key):
    place(anon, platform_key, quantity="10")
    place(anon, platform_key, product="NRML", quantity="3")
    resting = place(anon, platform_key, pricetype="LIMIT", price="1", quantity="1").json()["orderid"]
    earlier = timezone.now() - timedelta(days=1)
    Position.objects.update(updated_at=earlier)
    Order.objects.update(created_at=earlier)
    positions = {p["product"]: p["quantity"] for p in call(anon, "positionbook", platform_key).json()["data"]}
    assert positions == {"MIS": "0", "NRML": "3"}
    closing = Order.objects.get(strategy=broker.SQUARE_OFF_STRATEGY)
    cutoff = broker.last_square_off("NSE")
    assert (closing.action, closing.quantity, closing.status) == ("SELL", 10, "complete")
    assert float(closing.average_price) == market.snapshot("SBIN", "NSE", cutoff.timestamp()).bid
    assert Order.objects.get(orderid=resting).status == "cancelled"


def test_the_square_off_time_is_a_setting_per_exchange_in_ist(settings):
    settings.SANDBOX_SQUARE_OFF_TIMES = {"NSE": "15:15", "MCX": "23:30"}
    from datetime import datetime
    from zoneinfo import ZoneInfo

    ist = ZoneInfo("Asia/Kolkata")
    assert broker.last_square_off("NSE", datetime(2026, 3, 2, 15, 20, tzinfo=ist)) == datetime(
        2026, 3, 2, 15, 15, tzinfo=ist)
    assert broker.last_square_off("NSE", datetime(2026, 3, 2, 15, 0, tzinfo=ist)) == datetime(
        2026, 3, 1, 15, 15, tzinfo=ist)
    assert broker.last_square_off("MCX", datetime(2026, 3, 2, 23, 45, tzinfo=ist)) == datetime(
        2026, 3, 2, 23, 30, tzinfo=ist)
    assert broker.last_square_off("CDS") is None


def test_a_position_opened_after_the_square_off_time_stays_open(anon, platform_key):
    place(anon, platform_key, quantity="10")
    assert call(anon, "positionbook", platform_key).json()["data"][0]["quantity"] == "10"


# --- analyzer --------------------------------------------------------------------------------

def test_analyzer_is_always_on_and_counts_sandbox_orders(anon, platform_key):
    place(anon, platform_key)
    place(anon, platform_key)
    assert call(anon, "analyzer", platform_key).json() == {
        "status": "success", "data": {"analyze_mode": True, "mode": "analyze", "total_logs": 2}}
    assert call(anon, "analyzer/toggle", platform_key, mode=True).json()["data"] == {
        "analyze_mode": True, "mode": "analyze", "total_logs": 2, "message": "Analyzer mode switched to analyze"}


def test_analyzer_toggle_to_live_is_refused_clearly(anon, platform_key):
    refused = call(anon, "analyzer/toggle", platform_key, mode=False)
    assert refused.status_code == 400 and "Live mode is not available" in refused.json()["message"]
    missing = call(anon, "analyzer/toggle", platform_key)
    assert missing.json() == {"status": "error", "message": "Missing mandatory field(s): mode"}


def test_account_reads_run_in_semi_auto(anon, user, platform_key):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    for endpoint in ("holdings", "analyzer"):
        assert call(anon, endpoint, platform_key).json()["status"] == "success"
