"""GTT orders: SINGLE and OCO placed, listed, modified, cancelled, and fired by the
simulated market; OpenAlgo's validation errors; semi_auto queues a GTT and refuses its
modify and cancel."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apikeys import services
from trading import market
from trading.models import GttOrder, Order, PendingOrder

from .support import call, fast_password_hashing, find_fall, freeze_market  # noqa: F401

pytestmark = pytest.mark.django_db

AT = 1_790_000_000.0


@pytest.fixture(autouse=True)
def _seed(settings):
    settings.MARKET_SEED = 42


def gtt_body(**fields) -> dict:
    body = {"strategy": "T", "trigger_type": "SINGLE", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "product": "CNC", "quantity": 2, "pricetype": "LIMIT", "price": "100", "triggerprice_sl": "100",
            "triggerprice_tg": 0, "stoploss": None, "target": None}
    body.update(fields)
    return {k: v for k, v in body.items() if v != "-"}


def test_a_single_gtt_waits_then_fires_when_the_market_crosses_it(anon, platform_key, monkeypatch):
    start, later = find_fall("SBIN", "NSE", AT, field="ltp", by=1.0)
    freeze_market(monkeypatch, start)
    trigger = round(market.ltp("SBIN", "NSE", start) - 1.0, 2)
    placed = call(anon, "placegttorder", platform_key, **gtt_body(
        pricetype="MARKET", price="0", triggerprice_sl=str(trigger)))
    assert placed.status_code == 200
    trigger_id = placed.json()["trigger_id"]
    book = call(anon, "gttorderbook", platform_key).json()["data"]
    assert [(r["trigger_id"], r["status"], r["trigger_prices"]) for r in book] == [(trigger_id, "active", [trigger])]
    assert not Order.objects.exists()

    freeze_market(monkeypatch, later)
    assert call(anon, "gttorderbook", platform_key).json()["data"] == []  # fired: no longer active
    history = call(anon, "gttorderbook", platform_key, status="all").json()["data"]
    assert history[0]["status"] == "triggered"
    order = Order.objects.get(orderid=history[0]["orderid"])
    assert (order.action, order.quantity, order.product, order.status) == ("BUY", 2, "CNC", "complete")


def test_an_oco_fires_its_stoploss_leg_and_ends(anon, platform_key, monkeypatch):
    start, later = find_fall("SBIN", "NSE", AT, field="ltp", by=1.0)
    freeze_market(monkeypatch, start)
    call(anon, "placeorder", platform_key, symbol="SBIN", exchange="NSE", action="BUY", product="CNC",
         quantity="2", strategy="T")
    ltp = market.ltp("SBIN", "NSE", start)
    body = gtt_body(trigger_type="OCO", action="SELL", triggerprice_sl=str(round(ltp - 1.0, 2)),
                    stoploss=str(round(ltp - 50, 2)), triggerprice_tg=str(round(ltp + 50, 2)),
                    target=str(round(ltp + 51, 2)))
    trigger_id = call(anon, "placegttorder", platform_key, **body).json()["trigger_id"]
    freeze_market(monkeypatch, later)
    call(anon, "orderbook", platform_key)
    gtt = GttOrder.objects.get(trigger_id=trigger_id)
    assert gtt.status == "triggered"
    assert (gtt.order.action, gtt.order.pricetype, gtt.order.price) == ("SELL", "LIMIT", Decimal(str(round(
        ltp - 50, 2))).quantize(Decimal("0.0001")))


def test_modify_replaces_and_cancel_ends_an_active_gtt(anon, platform_key, monkeypatch):
    freeze_market(monkeypatch, AT)
    trigger_id = call(anon, "placegttorder", platform_key, **gtt_body()).json()["trigger_id"]
    modified = call(anon, "modifygttorder", platform_key, trigger_id=trigger_id,
                    **gtt_body(quantity=5, price="90", triggerprice_sl="90"))
    assert modified.json() == {"status": "success", "trigger_id": trigger_id}
    row = call(anon, "gttorderbook", platform_key).json()["data"][0]
    assert (row["trigger_prices"], row["legs"][0]["quantity"], row["legs"][0]["price"]) == ([90.0], 5, 90.0)
    fixed = call(anon, "modifygttorder", platform_key, trigger_id=trigger_id, **gtt_body(action="SELL"))
    assert fixed.status_code == 400 and "cannot be modified" in fixed.json()["message"]
    assert call(anon, "cancelgttorder", platform_key, trigger_id=trigger_id).json() == {
        "status": "success", "trigger_id": trigger_id}
    again = call(anon, "cancelgttorder", platform_key, trigger_id=trigger_id)
    assert again.status_code == 400 and "cancelled" in again.json()["message"]
    assert call(anon, "cancelgttorder", platform_key, trigger_id="GTT-1").status_code == 404


@pytest.mark.parametrize(("fields", "message"), [
    ({"product": "MIS"}, "product: GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is intraday-only."),
    ({"trigger_type": "BRACKET"}, "trigger_type: Must be 'SINGLE' or 'OCO'."),
    ({"triggerprice_sl": 0}, "triggerprice_sl: SINGLE GTT requires a positive triggerprice_sl or triggerprice_tg."),
    ({"trigger_type": "OCO", "stoploss": "90", "triggerprice_tg": "120", "target": None},
     "target: Required for OCO (target leg limit)."),
    ({"trigger_type": "OCO", "stoploss": "90", "triggerprice_tg": "95", "target": "96"},
     "triggerprice_sl: Stoploss trigger must be less than target trigger (triggerprice_tg)."),
    ({"price": "-"}, "Missing mandatory field(s): price"),
    ({"quantity": "0"}, "quantity: Quantity must be a positive number."),
])
def test_gtt_validation_errors_are_openalgos(anon, platform_key, fields, message):
    response = call(anon, "placegttorder", platform_key, **gtt_body(**fields))
    assert (response.status_code, response.json()) == (400, {"status": "error", "message": message})
    assert not GttOrder.objects.exists()


def test_semi_auto_queues_a_gtt_and_refuses_its_modify_and_cancel(anon, api, user, platform_key, monkeypatch):
    freeze_market(monkeypatch, AT)
    trigger_id = call(anon, "placegttorder", platform_key, **gtt_body()).json()["trigger_id"]
    services.platform_key_set_mode(user=user, mode="semi_auto")
    queued = call(anon, "placegttorder", platform_key, **gtt_body()).json()
    assert queued["mode"] == "semi_auto" and PendingOrder.objects.get().api_type == "placegttorder"
    assert GttOrder.objects.count() == 1
    for endpoint, message in (("modifygttorder", "Modify GTT order is not allowed in Semi-Auto mode. Switch to Auto "
                                                 "mode."),
                              ("cancelgttorder", "Cancel GTT order is not allowed in Semi-Auto mode. Switch to Auto "
                                                 "mode.")):
        response = call(anon, endpoint, platform_key, trigger_id=trigger_id, **gtt_body())
        assert (response.status_code, response.json()["message"]) == (403, message)
    assert call(anon, "gttorderbook", platform_key).json()["status"] == "success"
    approved = api.post(f"/api/v1/pendingorders/{queued['pending_order_id']}/approve").json()
    assert approved["result"]["trigger_id"].startswith("GTT-") and GttOrder.objects.count() == 2
