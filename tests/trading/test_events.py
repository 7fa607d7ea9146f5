"""Order events (trading/events.py) reach the user's channel-layer group after commit,
for the WebSocket ``subscribe_orders`` stream; other users hear nothing."""
from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apikeys import services
from trading import events

from .support import fast_password_hashing, place  # noqa: F401

pytestmark = pytest.mark.django_db


def listen(user_id: int) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.order_group(user_id), channel)
    return channel


def received(channel: str, count: int, timeout: float = 2.0) -> list[dict]:
    async def collect():
        layer = get_channel_layer()
        return [await asyncio.wait_for(layer.receive(channel), timeout) for _ in range(count)]

    return async_to_sync(collect)()


def nothing_for(channel: str) -> bool:
    try:
        received(channel, 1, timeout=0.3)
    except TimeoutError:
        return True
    return False


def test_a_filled_order_is_announced_placed_then_filled(anon, user, platform_key, django_capture_on_commit_callbacks):
    channel = listen(user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        orderid = place(anon, platform_key).json()["orderid"]
    placed, filled = received(channel, 2)
    assert placed["type"] == filled["type"] == "order.event"
    assert placed["data"]["event"] == "placed" and filled["data"]["event"] == "filled"
    assert filled["data"]["type"] == "order_update" and filled["data"]["orderid"] == orderid
    assert filled["data"]["order_status"] == "complete" and filled["data"]["broker"] == "sandbox"
    assert platform_key not in str(placed) + str(filled)


def test_queue_and_decisions_are_announced(anon, api, user, platform_key, django_capture_on_commit_callbacks):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    channel = listen(user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        pending_id = place(anon, platform_key).json()["pending_order_id"]
    (queued,) = received(channel, 1)
    assert queued["data"]["type"] == "pending_order_update" and queued["data"]["event"] == "queued"
    assert queued["data"]["pending_order_id"] == pending_id
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v1/pendingorders/{pending_id}/approve")
    kinds = [(m["data"]["type"], m["data"]["event"]) for m in received(channel, 3)]
    assert kinds == [("order_update", "placed"), ("order_update", "filled"), ("pending_order_update", "approved")]


def test_nothing_is_announced_before_commit_or_to_other_users(anon, user, other_user, platform_key):
    mine, theirs = listen(user.pk), listen(other_user.pk)
    place(anon, platform_key)  # the test transaction never commits
    assert nothing_for(mine) and nothing_for(theirs)


def test_a_cancel_is_announced(anon, user, platform_key, django_capture_on_commit_callbacks):
    orderid = place(anon, platform_key, pricetype="LIMIT", price="1").json()["orderid"]
    channel = listen(user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        anon.post("/api/v1/cancelorder", {"apikey": platform_key, "orderid": orderid}, format="json")
    (cancelled,) = received(channel, 1)
    assert cancelled["data"]["event"] == "cancelled" and cancelled["data"]["order_status"] == "cancelled"


def test_new_kinds_of_orders_are_announced(anon, user, platform_key, django_capture_on_commit_callbacks):
    """Basket and split orders (one placed/filled pair per order), a modify, and a GTT's
    life (placed, modified, cancelled) all reach subscribe_orders."""
    from .support import call

    channel = listen(user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        call(anon, "basketorder", platform_key, strategy="T", orders=[
            {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "1"},
            {"symbol": "TCS", "exchange": "NSE", "action": "BUY", "quantity": "1"}])
    assert [m["data"]["event"] for m in received(channel, 4)] == ["placed", "filled", "placed", "filled"]

    with django_capture_on_commit_callbacks(execute=True):
        call(anon, "splitorder", platform_key, strategy="T", symbol="ITC", exchange="NSE", action="BUY",
             quantity="3", splitsize="2")
    assert [m["data"]["quantity"] for m in received(channel, 4)] == [2, 2, 1, 1]

    with django_capture_on_commit_callbacks(execute=True):
        orderid = place(anon, platform_key, pricetype="LIMIT", price="1").json()["orderid"]
        call(anon, "modifyorder", platform_key, orderid=orderid, strategy="T", symbol="SBIN", exchange="NSE",
             action="BUY", product="MIS", pricetype="LIMIT", price="2", quantity="3", disclosed_quantity="0",
             trigger_price="0")
    placed, modified = received(channel, 2)
    assert (modified["data"]["event"], modified["data"]["quantity"], modified["data"]["price"]) == ("modified", 3, 2.0)

    gtt = {"strategy": "T", "trigger_type": "SINGLE", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
           "product": "CNC", "quantity": 1, "price": "1", "triggerprice_sl": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        trigger_id = call(anon, "placegttorder", platform_key, **gtt).json()["trigger_id"]
        call(anon, "modifygttorder", platform_key, trigger_id=trigger_id, **{**gtt, "quantity": 2})
        call(anon, "cancelgttorder", platform_key, trigger_id=trigger_id)
    events_seen = [(m["data"]["type"], m["data"]["event"]) for m in received(channel, 3)]
    assert events_seen == [("gtt_update", "gtt_placed"), ("gtt_update", "gtt_modified"),
                           ("gtt_update", "gtt_cancelled")]
