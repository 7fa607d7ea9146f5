"""OpenAlgo's order endpoints beyond placeorder over HTTP: placesmartorder, basketorder,
splitorder, modifyorder, cancelallorder, closeposition, openposition — their answers,
validation errors, and what semi_auto does to each (queue, or refuse with 403)."""
from __future__ import annotations

import pytest

from apikeys import services
from trading.models import Order, PendingOrder

from .support import call, fast_password_hashing, freeze_market, place  # noqa: F401

pytestmark = pytest.mark.django_db

AT = 1_790_000_000.0


@pytest.fixture(autouse=True)
def _frozen_market(monkeypatch, settings):
    settings.MARKET_SEED = 42
    freeze_market(monkeypatch, AT)


def position(anon, key, symbol="SBIN", product="MIS") -> str:
    body = call(anon, "openposition", key, strategy="T", symbol=symbol, exchange="NSE", product=product).json()
    assert body["status"] == "success"
    return body["quantity"]


def smart(anon, key, action, quantity, position_size, symbol="SBIN"):
    return call(anon, "placesmartorder", key, strategy="T", symbol=symbol, exchange="NSE", action=action,
                pricetype="MARKET", product="MIS", quantity=str(quantity), position_size=str(position_size))


# --- placesmartorder: OpenAlgo's table of action, quantity, position_size, open position --

@pytest.mark.parametrize(("start", "action", "quantity", "position_size", "placed", "end"), [
    (0, "BUY", 100, 0, ("BUY", 100), 100),       # no open position: a plain order
    (-100, "BUY", 100, 100, ("BUY", 200), 100),  # flip short to long
    (100, "BUY", 100, 200, ("BUY", 100), 200),   # add
    (0, "SELL", 100, 0, ("SELL", 100), -100),
    (100, "SELL", 100, -100, ("SELL", 200), -100),
    (-100, "SELL", 100, -200, ("SELL", 100), -200),
    (100, "SELL", 0, 0, ("SELL", 100), 0),       # exit a long
    (-100, "BUY", 0, 0, ("BUY", 100), 0),        # exit a short
])
def test_smart_orders_take_the_position_to_position_size(anon, platform_key, start, action, quantity,
                                                         position_size, placed, end):
    if start:
        place(anon, platform_key, action="BUY" if start > 0 else "SELL", quantity=str(abs(start)))
    response = smart(anon, platform_key, action, quantity, position_size)
    assert response.status_code == 200 and response.json()["status"] == "success"
    order = Order.objects.get(orderid=response.json()["orderid"])
    assert (order.action, order.quantity) == placed
    assert position(anon, platform_key) == str(end)


def test_a_smart_order_that_matches_the_position_places_nothing(anon, platform_key):
    place(anon, platform_key, action="BUY", quantity="100")
    response = smart(anon, platform_key, "BUY", 100, 100)
    assert response.json() == {"status": "success", "message": "Positions Already Matched. No Action needed."}
    flat_exit = smart(anon, platform_key, "SELL", 0, 0, symbol="TCS")
    assert flat_exit.json() == {"status": "success", "message": "No OpenPosition Found. Not placing Exit order."}
    assert Order.objects.count() == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"position_size": None}, "Missing mandatory field(s): position_size"),
    ({"position_size": "1.5"}, "position_size: Position size must be a whole number."),
    ({"quantity": "-1"}, "quantity: Quantity must be a non-negative number."),
    ({"exchange": "NYSE"}, "exchange: Invalid exchange. Must be one of: NSE, BSE, NFO, BFO, CDS, MCX"),
])
def test_smart_order_validation_errors(anon, platform_key, fields, message):
    body = {"strategy": "T", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1",
            "position_size": "1", **fields}
    response = call(anon, "placesmartorder", platform_key, **{k: v for k, v in body.items() if v is not None})
    assert (response.status_code, response.json()) == (400, {"status": "error", "message": message})


# --- basketorder, splitorder ----------------------------------------------------------------

def test_a_basket_places_buys_before_sells_and_reports_each(anon, platform_key, settings):
    response = call(anon, "basketorder", platform_key, strategy="T", orders=[
        {"symbol": "TCS", "exchange": "NSE", "action": "SELL", "quantity": "1"},
        {"symbol": "INFY", "exchange": "NSE", "action": "buy", "quantity": 2, "pricetype": "MARKET"},
    ])
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    assert [(r["symbol"], r["status"]) for r in body["results"]] == [("INFY", "success"), ("TCS", "success")]
    placed = [Order.objects.get(orderid=r["orderid"]) for r in body["results"]]
    assert [(o.action, o.quantity, o.strategy) for o in placed] == [("BUY", 2, "T"), ("SELL", 1, "T")]


def test_a_basket_order_the_sandbox_rejects_is_reported_and_the_rest_still_execute(anon, platform_key, settings):
    settings.SANDBOX_STARTING_CASH = 100_000
    body = call(anon, "basketorder", platform_key, strategy="T", orders=[
        {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1"},
        {"symbol": "MARUTI", "exchange": "NSE", "action": "BUY", "quantity": "1000"},
    ]).json()
    assert body["status"] == "success"
    assert [r["status"] for r in body["results"]] == ["success", "error"]
    assert body["results"][1]["message"].startswith("Order rejected: Insufficient funds")


@pytest.mark.parametrize(("orders", "message"), [
    ([], "orders: Orders must contain at least one order."),
    ([{"symbol": "SBIN", "exchange": "NSE", "action": "HOLD", "quantity": "1"}],
     "orders.0.action: Invalid action. Must be one of: BUY, SELL"),
    ([{"symbol": "SBIN", "exchange": "NSE", "action": "BUY"}], "Missing mandatory field(s): orders.0.quantity"),
    ("SBIN", 'orders: Expected a list of items but got type "str".'),
])
def test_basket_validation_errors_name_the_order_and_field(anon, platform_key, orders, message):
    response = call(anon, "basketorder", platform_key, strategy="T", orders=orders)
    assert (response.status_code, response.json()) == (400, {"status": "error", "message": message})
    assert not Order.objects.exists()


def test_a_split_order_places_full_slices_then_the_rest(anon, platform_key):
    response = call(anon, "splitorder", platform_key, strategy="T", symbol="ITC", exchange="NSE", action="BUY",
                    quantity="105", splitsize="20")
    body = response.json()
    assert body["status"] == "success" and body["split_size"] == 20 and body["total_quantity"] == 105
    assert [(r["order_num"], r["quantity"], r["status"]) for r in body["results"]] == [
        (1, 20, "success"), (2, 20, "success"), (3, 20, "success"), (4, 20, "success"), (5, 20, "success"),
        (6, 5, "success"),
    ]
    assert position(anon, platform_key, symbol="ITC") == "105"


@pytest.mark.parametrize(("fields", "message"), [
    ({"splitsize": "0"}, "splitsize: Split size must be a positive integer."),
    ({"splitsize": "1", "quantity": "101"}, "splitsize: Total number of orders would exceed maximum limit of 100"),
    ({"splitsize": None}, "Missing mandatory field(s): splitsize"),
])
def test_split_validation_errors(anon, platform_key, fields, message):
    body = {"strategy": "T", "symbol": "ITC", "exchange": "NSE", "action": "BUY", "quantity": "10",
            "splitsize": "3", **fields}
    response = call(anon, "splitorder", platform_key, **{k: v for k, v in body.items() if v is not None})
    assert (response.status_code, response.json()) == (400, {"status": "error", "message": message})


# --- modifyorder, cancelallorder, closeposition ------------------------------------------

def modify(anon, key, orderid, **fields):
    body = {"orderid": orderid, "strategy": "T", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "product": "MIS", "pricetype": "LIMIT", "price": "2", "quantity": "7", "disclosed_quantity": "0",
            "trigger_price": "0", **fields}
    return call(anon, "modifyorder", key, **body)


def test_modify_changes_a_resting_orders_quantity_and_price(anon, platform_key):
    orderid = place(anon, platform_key, pricetype="LIMIT", price="1").json()["orderid"]
    response = modify(anon, platform_key, orderid)
    assert response.json() == {"status": "success", "orderid": orderid}
    order = Order.objects.get(orderid=orderid)
    assert (order.quantity, str(order.price), order.status) == (7, "2.0000", "open")


def test_a_modify_that_makes_the_order_marketable_fills_it(anon, platform_key):
    orderid = place(anon, platform_key, pricetype="LIMIT", price="1").json()["orderid"]
    modify(anon, platform_key, orderid, price="100000")
    order = Order.objects.get(orderid=orderid)
    assert order.status == "complete" and order.average_price < 100000


def test_modify_refuses_filled_missing_and_others_orders(anon, platform_key, other_user):
    filled = place(anon, platform_key).json()["orderid"]
    refused = modify(anon, platform_key, filled)
    assert (refused.status_code, refused.json()["message"]) == (400, "Cannot modify order in complete status")
    missing = modify(anon, platform_key, "123")
    assert (missing.status_code, missing.json()["message"]) == (404, "Order 123 not found")
    _, other_key = services.platform_key_regenerate(user=other_user)
    assert modify(anon, other_key, filled).status_code == 404


def test_a_modify_is_checked_against_the_funds_as_a_new_order_would_be(anon, platform_key):
    orderid = place(anon, platform_key, pricetype="LIMIT", price="1", product="CNC", quantity="1").json()["orderid"]
    too_big = modify(anon, platform_key, orderid, product="CNC", price="100", quantity="20000")  # ₹2,000,000
    assert too_big.status_code == 400 and too_big.json()["message"].startswith("Insufficient funds. Required: ₹2000000.00")
    order = Order.objects.get(orderid=orderid)
    assert (order.quantity, order.margin_blocked) == (1, 1)  # unchanged
    assert modify(anon, platform_key, orderid, product="CNC", price="100", quantity="9000").json()["status"] == "success"
    assert Order.objects.get(orderid=orderid).margin_blocked == 900_000  # the new size is what is blocked
    second = place(anon, platform_key, pricetype="LIMIT", price="100", product="CNC", quantity="9000").json()
    assert second["status"] == "error" and "Available: ₹100000.00" in second["message"]  # not ₹999,999


def test_a_cnc_sell_cannot_be_modified_past_the_shares_owned(anon, platform_key):
    place(anon, platform_key, product="CNC", quantity="5")  # MARKET: fills, 5 shares owned
    orderid = place(anon, platform_key, action="SELL", product="CNC", quantity="5", pricetype="LIMIT",
                    price="100000").json()["orderid"]
    refused = modify(anon, platform_key, orderid, action="SELL", product="CNC", price="100000", quantity="50")
    assert refused.status_code == 400 and "Only 5 shares available" in refused.json()["message"]
    assert Order.objects.get(orderid=orderid).quantity == 5


def test_modify_requires_every_field_as_openalgo_does(anon, platform_key):
    response = call(anon, "modifyorder", platform_key, orderid="1", strategy="T")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Missing mandatory field(s): symbol, exchange, action")


def test_cancel_all_cancels_every_open_order_and_lists_them(anon, platform_key):
    resting = [place(anon, platform_key, pricetype="LIMIT", price="1").json()["orderid"] for _ in range(2)]
    place(anon, platform_key)  # fills: not open, not cancelled
    body = call(anon, "cancelallorder", platform_key, strategy="T").json()
    assert body == {"status": "success", "message": "Canceled 2 orders. Failed to cancel 0 orders.",
                    "canceled_orders": resting, "failed_cancellations": []}
    again = call(anon, "cancelallorder", platform_key, strategy="T").json()
    assert again["message"] == "No open orders to cancel" and again["canceled_orders"] == []


def test_close_position_flattens_every_position(anon, platform_key):
    place(anon, platform_key, symbol="SBIN", action="BUY", quantity="5")
    place(anon, platform_key, symbol="TCS", action="SELL", quantity="2")
    body = call(anon, "closeposition", platform_key, strategy="T").json()
    assert body == {"status": "success", "message": "Closed 2 positions", "closed_positions": 2,
                    "failed_closures": 0}
    assert (position(anon, platform_key, "SBIN"), position(anon, platform_key, "TCS")) == ("0", "0")
    assert call(anon, "closeposition", platform_key).json() == {
        "status": "success", "message": "No open positions to close"}


def test_openposition_answers_the_net_quantity_as_a_string(anon, platform_key):
    assert position(anon, platform_key) == "0"
    place(anon, platform_key, action="SELL", quantity="4")
    assert position(anon, platform_key) == "-4"
    assert position(anon, platform_key, product="CNC") == "0"
    bad = call(anon, "openposition", platform_key, symbol="SBIN", exchange="NSE")
    assert (bad.status_code, bad.json()["message"]) == (400, "Missing mandatory field(s): product")


# --- semi_auto ------------------------------------------------------------------------------

@pytest.fixture
def semi_auto(user, platform_key):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    return platform_key


QUEUEABLE = {
    "placesmartorder": {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "3", "position_size": "3"},
    "basketorder": {"orders": [{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1"},
                               {"symbol": "TCS", "exchange": "NSE", "action": "BUY", "quantity": "1"}]},
    "splitorder": {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "5", "splitsize": "2"},
}


@pytest.mark.parametrize("endpoint", QUEUEABLE)
def test_semi_auto_queues_the_call_and_approval_executes_exactly_it(anon, api, semi_auto, endpoint):
    response = call(anon, endpoint, semi_auto, strategy="T", **QUEUEABLE[endpoint])
    body = response.json()
    assert (response.status_code, body["mode"], body["message"]) == (
        200, "semi_auto", "Order queued for approval in Action Center")
    assert not Order.objects.exists()
    assert PendingOrder.objects.get().api_type == endpoint
    approved = api.post(f"/api/v1/pendingorders/{body['pending_order_id']}/approve")
    assert approved.status_code == 200
    result = approved.json()["result"]
    assert result["status"] == "success"
    expected_orders = {"placesmartorder": 1, "basketorder": 2, "splitorder": 3}[endpoint]
    assert Order.objects.filter(status="complete").count() == expected_orders
    assert api.post(f"/api/v1/pendingorders/{body['pending_order_id']}/approve").status_code == 409


@pytest.mark.parametrize(("endpoint", "fields", "message"), [
    ("modifyorder", {"orderid": "1", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "product": "MIS",
                     "pricetype": "LIMIT", "price": "2", "quantity": "1", "disclosed_quantity": "0",
                     "trigger_price": "0"},
     "Modify order operation is not allowed in Semi-Auto mode. Please switch to Auto mode to modify orders."),
    ("cancelorder", {"orderid": "1"},
     "Cancel order operation is not allowed in Semi-Auto mode. Please switch to Auto mode to cancel orders."),
    ("cancelallorder", {},
     "Cancel all orders operation is not allowed in Semi-Auto mode. Please switch to Auto mode to cancel orders."),
    ("closeposition", {},
     "Close position operation is not allowed in Semi-Auto mode. Please switch to Auto mode to close positions."),
])
def test_semi_auto_refuses_changes_with_openalgos_403(anon, semi_auto, endpoint, fields, message):
    response = call(anon, endpoint, semi_auto, strategy="T", **fields)
    assert (response.status_code, response.json()) == (403, {"status": "error", "message": message})
    assert not PendingOrder.objects.exists()


def test_reads_run_in_semi_auto(anon, semi_auto):
    body = call(anon, "openposition", semi_auto, symbol="SBIN", exchange="NSE", product="MIS").json()
    assert body == {"status": "success", "quantity": "0"}


def test_a_queued_basket_lists_its_orders_in_the_action_center(anon, semi_auto):
    call(anon, "basketorder", semi_auto, strategy="T", **QUEUEABLE["basketorder"])
    (row,) = call(anon, "pendingorders", semi_auto).json()["data"]["orders"]
    assert (row["api_type"], row["symbol"], row["quantity"]) == ("basketorder", "SBIN, TCS", "2")
    assert [o["symbol"] for o in row["order_data"]["orders"]] == ["SBIN", "TCS"]


def test_close_position_can_close_just_the_one_named(anon, platform_key):
    place(anon, platform_key, symbol="SBIN", action="BUY", quantity="5")
    place(anon, platform_key, symbol="TCS", action="SELL", quantity="2")
    body = call(anon, "closeposition", platform_key, strategy="T", symbol="SBIN", exchange="NSE",
                product="MIS").json()
    assert body["status"] == "success" and body["message"] == "Position close order placed for SBIN"
    assert (position(anon, platform_key, "SBIN"), position(anon, platform_key, "TCS")) == ("0", "-2")
    again = call(anon, "closeposition", platform_key, symbol="SBIN", exchange="NSE", product="MIS")
    assert (again.status_code, again.json()["message"]) == (404, "No open position found for SBIN")
    partial = call(anon, "closeposition", platform_key, symbol="SBIN")
    assert partial.status_code == 400 and "exchange" in partial.json()["message"]
