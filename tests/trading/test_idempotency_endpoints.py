"""Idempotency-Key on every order call, not only placeorder: a retry with the same key gets
the first answer back (Idempotent-Replayed: true) and does nothing again, even when the books
have changed since; the same key with a different body, or on another endpoint, is a 422."""
from __future__ import annotations

import pytest

from apikeys import services
from trading import market
from trading.models import GttOrder, GttStatus, IdempotentOrderRequest, Order, OrderStatus

from .support import fast_password_hashing, freeze_market, order_body  # noqa: F401

pytestmark = pytest.mark.django_db

AT = 1_790_000_000.0


@pytest.fixture(autouse=True)
def _frozen_market(monkeypatch, settings):
    settings.MARKET_SEED = 42
    freeze_market(monkeypatch, AT)


def send(client, endpoint: str, key: str, idempotency_key: str | None = None, **fields):
    extra = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    return client.post(f"/api/v1/{endpoint}", {"apikey": key, **fields}, format="json", **extra)


def resting_buy(client, key: str, quantity: int = 10) -> str:
    """A BUY LIMIT far below the market: it rests open."""
    body = order_body(key, pricetype="LIMIT", price="1", quantity=str(quantity))
    response = client.post("/api/v1/placeorder", body, format="json")
    assert response.json()["status"] == "success", response.json()
    return response.json()["orderid"]


def gtt_fields(**fields) -> dict:
    below = round(market.ltp("SBIN", "NSE", AT) - 50, 2)
    return {"strategy": "T", "trigger_type": "SINGLE", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
            "product": "CNC", "quantity": 2, "pricetype": "LIMIT", "price": str(below),
            "triggerprice_sl": str(below), **fields}


def assert_replayed(first, again) -> None:
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first


def test_placesmartorder_retried_places_one_order(anon, platform_key):
    body = {**order_body(platform_key), "position_size": "10"}
    first = send(anon, "placesmartorder", platform_key, "smart-1", **body)
    again = send(anon, "placesmartorder", platform_key, "smart-1", **body)
    assert first.json()["status"] == "success" and first.json()["orderid"]
    assert_replayed(first, again)
    assert Order.objects.count() == 1


def test_basketorder_retried_places_the_basket_once(anon, platform_key):
    orders = [{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1", "pricetype": "MARKET",
               "product": "MIS"},
              {"symbol": "INFY", "exchange": "NSE", "action": "BUY", "quantity": "1", "pricetype": "MARKET",
               "product": "MIS"}]
    first = send(anon, "basketorder", platform_key, "basket-1", strategy="T", orders=orders)
    again = send(anon, "basketorder", platform_key, "basket-1", strategy="T", orders=orders)
    assert [r["status"] for r in first.json()["results"]] == ["success", "success"]
    assert_replayed(first, again)
    assert Order.objects.count() == 2


def test_splitorder_retried_places_the_split_once(anon, platform_key):
    body = {**order_body(platform_key, quantity="10"), "splitsize": "4"}
    first = send(anon, "splitorder", platform_key, "split-1", **body)
    again = send(anon, "splitorder", platform_key, "split-1", **body)
    assert [r["quantity"] for r in first.json()["results"]] == [4, 4, 2]
    assert_replayed(first, again)
    assert Order.objects.count() == 3


def test_modifyorder_retried_answers_the_first_modify(anon, platform_key):
    orderid = resting_buy(anon, platform_key)
    body = {**order_body(platform_key, pricetype="LIMIT", price="2", quantity="20"), "orderid": orderid,
            "disclosed_quantity": "0", "trigger_price": "0"}
    first = send(anon, "modifyorder", platform_key, "modify-1", **body)
    again = send(anon, "modifyorder", platform_key, "modify-1", **body)
    assert first.json() == {"status": "success", "orderid": orderid}
    assert_replayed(first, again)
    assert Order.objects.get(orderid=orderid).quantity == 20


def test_cancelorder_retried_answers_the_first_cancel(anon, platform_key):
    orderid = resting_buy(anon, platform_key)
    first = send(anon, "cancelorder", platform_key, "cancel-1", orderid=orderid, strategy="T")
    again = send(anon, "cancelorder", platform_key, "cancel-1", orderid=orderid, strategy="T")
    assert first.json() == {"status": "success", "orderid": orderid}
    assert_replayed(first, again)


def test_cancelallorder_retried_leaves_orders_placed_since_open(anon, platform_key):
    cancelled = [resting_buy(anon, platform_key), resting_buy(anon, platform_key)]
    first = send(anon, "cancelallorder", platform_key, "cancel-all-1", strategy="T")
    assert sorted(first.json()["canceled_orders"]) == sorted(cancelled)
    later = resting_buy(anon, platform_key)
    again = send(anon, "cancelallorder", platform_key, "cancel-all-1", strategy="T")
    assert_replayed(first, again)
    assert Order.objects.get(orderid=later).status == OrderStatus.OPEN


def test_closeposition_retried_does_not_close_a_position_opened_since(anon, platform_key):
    anon.post("/api/v1/placeorder", order_body(platform_key), format="json")
    first = send(anon, "closeposition", platform_key, "close-1", strategy="T")
    assert first.json()["closed_positions"] == 1
    anon.post("/api/v1/placeorder", order_body(platform_key, quantity="5"), format="json")
    again = send(anon, "closeposition", platform_key, "close-1", strategy="T")
    assert_replayed(first, again)
    book = send(anon, "openposition", platform_key, strategy="T", symbol="SBIN", exchange="NSE", product="MIS")
    assert book.json()["quantity"] == "5"


def test_the_gtt_family_retried_acts_once(anon, platform_key):
    first = send(anon, "placegttorder", platform_key, "gtt-1", **gtt_fields())
    again = send(anon, "placegttorder", platform_key, "gtt-1", **gtt_fields())
    assert_replayed(first, again)
    assert GttOrder.objects.count() == 1
    trigger_id = first.json()["trigger_id"]

    modify = gtt_fields(quantity=3, trigger_id=trigger_id)
    first = send(anon, "modifygttorder", platform_key, "gtt-mod-1", **modify)
    assert_replayed(first, send(anon, "modifygttorder", platform_key, "gtt-mod-1", **modify))

    first = send(anon, "cancelgttorder", platform_key, "gtt-cancel-1", trigger_id=trigger_id)
    assert_replayed(first, send(anon, "cancelgttorder", platform_key, "gtt-cancel-1", trigger_id=trigger_id))
    assert GttOrder.objects.get().status == GttStatus.CANCELLED


def test_a_key_reused_with_a_different_body_is_a_422_and_does_nothing(anon, platform_key):
    orderid = resting_buy(anon, platform_key)
    other = resting_buy(anon, platform_key)
    send(anon, "cancelorder", platform_key, "c-1", orderid=orderid)
    response = send(anon, "cancelorder", platform_key, "c-1", orderid=other)
    assert response.status_code == 422
    assert response.json() == {
        "status": "error", "message": "This Idempotency-Key was already used for a different request"}
    assert Order.objects.get(orderid=other).status == OrderStatus.OPEN


def test_a_key_reused_on_another_endpoint_is_a_422(anon, platform_key):
    send(anon, "placesmartorder", platform_key, "k-1", **{**order_body(platform_key), "position_size": "10"})
    response = send(anon, "splitorder", platform_key, "k-1", **{**order_body(platform_key), "splitsize": "5"})
    assert response.status_code == 422
    assert Order.objects.count() == 1


def test_a_refusal_is_not_stored_so_the_key_still_works_after_the_cause_is_fixed(anon, platform_key, user):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    refused = send(anon, "cancelallorder", platform_key, "ca-1", strategy="T")
    assert refused.status_code == 403 and not IdempotentOrderRequest.objects.exists()
    services.platform_key_set_mode(user=user, mode="auto")
    allowed = send(anon, "cancelallorder", platform_key, "ca-1", strategy="T")
    assert allowed.status_code == 200 and "Idempotent-Replayed" not in allowed


def test_the_body_field_works_on_the_new_endpoints_too(anon, platform_key):
    body = {**order_body(platform_key, quantity="4"), "splitsize": "2", "idempotency_key": "tv-9"}
    first = send(anon, "splitorder", platform_key, **body)
    again = send(anon, "splitorder", platform_key, **body)
    assert_replayed(first, again)
    assert Order.objects.count() == 2
