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
    except asyncio.TimeoutError:
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
