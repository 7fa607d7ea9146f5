"""Margin reserved by active GTTs (OpenAlgo's sandbox rule): a GTT holds what its order
would block, an OCO its larger leg; cancelling releases it, firing hands it to the order,
modifying re-sizes it, and a GTT the funds cannot cover is refused."""
from __future__ import annotations

from decimal import Decimal

import pytest

from trading import market
from trading.models import GttOrder, GttStatus, Order

from .support import call, fast_password_hashing, find_fall, freeze_market  # noqa: F401

pytestmark = pytest.mark.django_db

AT = 1_790_000_000.0


@pytest.fixture(autouse=True)
def _market(settings, monkeypatch):
    settings.MARKET_SEED = 42
    settings.SANDBOX_STARTING_CASH = 100_000
    freeze_market(monkeypatch, AT)


def funds(client, key) -> tuple[Decimal, Decimal]:
    data = call(client, "funds", key).json()["data"]
    return Decimal(data["availablecash"]), Decimal(data["utiliseddebits"])


def below_market(by: float = 50.0) -> Decimal:
    return Decimal(str(round(market.ltp("SBIN", "NSE", AT) - by, 2)))


def place_gtt(client, key, **fields):
    price = below_market()
    body = {"strategy": "T", "trigger_type": "SINGLE", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "product": "CNC", "quantity": 10, "pricetype": "LIMIT", "price": str(price),
            "triggerprice_sl": str(price), **fields}
    return call(client, "placegttorder", key, **body)


def test_a_gtt_reserves_its_orders_margin_until_cancelled(anon, platform_key):
    price = below_market()
    placed = place_gtt(anon, platform_key)
    assert placed.status_code == 200
    available, utilised = funds(anon, platform_key)
    assert utilised == 10 * price  # CNC at 1x: the full value
    assert available == Decimal(100_000) - 10 * price

    call(anon, "cancelgttorder", platform_key, trigger_id=placed.json()["trigger_id"])
    assert funds(anon, platform_key) == (Decimal("100000.00"), Decimal("0.00"))


def test_a_gtt_the_funds_cannot_cover_is_refused_and_not_stored(anon, platform_key):
    response = place_gtt(anon, platform_key, quantity=10_000)
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert response.json()["message"].startswith("Insufficient funds. Required: ")
    assert not GttOrder.objects.exists()


def test_an_order_cannot_spend_what_a_gtt_has_reserved(anon, platform_key):
    price = below_market()
    quantity = int(Decimal(60_000) / price)
    assert place_gtt(anon, platform_key, quantity=quantity).status_code == 200
    # 60,000 reserved: a CNC buy of another 60,000 no longer fits in 100,000.
    response = call(anon, "placeorder", platform_key, strategy="T", symbol="SBIN", exchange="NSE", action="BUY",
                    product="CNC", pricetype="LIMIT", price=str(price), quantity=str(quantity))
    assert response.status_code == 400 and "Insufficient funds" in response.json()["message"]


def test_an_oco_reserves_its_larger_leg_not_both(anon, platform_key):
    ltp = Decimal(str(market.ltp("SBIN", "NSE", AT)))
    sl, tg = (ltp - 20).quantize(Decimal("0.01")), (ltp + 20).quantize(Decimal("0.01"))
    placed = place_gtt(anon, platform_key, trigger_type="OCO", action="BUY", triggerprice_sl=str(sl),
                       triggerprice_tg=str(tg), stoploss=str(sl), target=str(tg), price="0")
    assert placed.status_code == 200, placed.json()
    assert funds(anon, platform_key)[1] == 10 * tg


def test_a_gtt_that_only_closes_a_position_reserves_nothing(anon, platform_key):
    call(anon, "placeorder", platform_key, strategy="T", symbol="SBIN", exchange="NSE", action="BUY",
         product="NRML", quantity="10")
    before = funds(anon, platform_key)
    placed = place_gtt(anon, platform_key, action="SELL", product="NRML", price="0", pricetype="MARKET")
    assert placed.status_code == 200
    assert funds(anon, platform_key) == before
    assert GttOrder.objects.get().margin_blocked == 0


def test_modifying_a_gtt_resizes_its_reservation(anon, platform_key):
    price = below_market()
    trigger_id = place_gtt(anon, platform_key).json()["trigger_id"]
    body = {"trigger_id": trigger_id, "strategy": "T", "trigger_type": "SINGLE", "symbol": "SBIN",
            "exchange": "NSE", "action": "BUY", "product": "CNC", "quantity": 4, "pricetype": "LIMIT",
            "price": str(price), "triggerprice_sl": str(price)}
    assert call(anon, "modifygttorder", platform_key, **body).status_code == 200
    assert funds(anon, platform_key)[1] == 4 * price


def test_a_fired_gtt_hands_its_margin_to_the_order(anon, platform_key, monkeypatch):
    start, later = find_fall("SBIN", "NSE", AT, field="ltp", by=1.0)
    freeze_market(monkeypatch, start)
    trigger = Decimal(str(round(market.ltp("SBIN", "NSE", start) - 1.0, 2)))
    assert place_gtt(anon, platform_key, pricetype="MARKET", price="0", triggerprice_sl=str(trigger),
                     quantity=2).status_code == 200
    assert funds(anon, platform_key)[1] == 2 * trigger

    freeze_market(monkeypatch, later)
    _, utilised = funds(anon, platform_key)
    gtt = GttOrder.objects.get()
    assert (gtt.status, gtt.margin_blocked) == (GttStatus.TRIGGERED, 0)
    order = Order.objects.get()
    assert order.status == "complete"
    assert utilised == 2 * order.average_price  # the position's margin only: nothing still reserved


def test_an_approved_gtt_the_funds_no_longer_cover_answers_the_refusal(anon, api, user, platform_key):
    from apikeys import services

    services.platform_key_set_mode(user=user, mode="semi_auto")
    queued = place_gtt(anon, platform_key, quantity=10_000).json()
    assert queued["mode"] == "semi_auto"
    approved = api.post(f"/api/v1/pendingorders/{queued['pending_order_id']}/approve")
    assert approved.status_code == 200
    result = approved.json()["result"]
    assert approved.json()["message"].startswith("Order approved; the sandbox refused it: Insufficient funds")
    assert result["status"] == "error" and result["message"].startswith("Insufficient funds")
    assert not GttOrder.objects.exists()
    listed = api.get("/api/v1/pendingorders", {"status": "all"}).json()["data"]["orders"]
    assert listed[0]["status"] == "approved"  # decided: not left pending to be approved again
