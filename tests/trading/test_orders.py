"""Order-mode routing (trading/orders.py): only ``auto`` executes; anything the server
cannot read as ``auto`` queues the order — fail closed."""
from __future__ import annotations

import pytest

from apikeys import services
from apikeys.models import PlatformApiKey
from trading import broker, orders
from trading.models import Order, PendingOrder

from .support import fast_password_hashing, place  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("unreadable", ["", "bogus", "AUTO", "auto ", "semi-auto"])
def test_an_order_mode_the_server_cannot_read_queues_the_order(anon, user, platform_key, unreadable):
    # A row written behind the model's back (bad migration, manual SQL, a future mode).
    PlatformApiKey.objects.filter(user=user).update(order_mode=unreadable)
    response = place(anon, platform_key)
    assert response.status_code == 200
    assert response.json()["mode"] == "semi_auto" and "pending_order_id" in response.json()
    assert not Order.objects.exists()
    assert PendingOrder.objects.filter(user=user).count() == 1


def _request() -> broker.OrderRequest:
    return broker.OrderRequest(strategy="t", symbol="SBIN", exchange="NSE", action="BUY", quantity=1)


@pytest.mark.parametrize("mode", ["", "semi_auto", "unknown", "Auto"])
def test_routing_executes_only_on_exactly_auto(user, platform_key, mode):
    row = PlatformApiKey.objects.get(user=user)
    PlatformApiKey.objects.filter(pk=row.pk).update(order_mode=mode)
    placement = orders.order_place(user=user, key_id=row.pk, request=_request())
    assert placement.order is None and placement.pending_order is not None
    assert not Order.objects.exists()


def test_routing_executes_on_auto(user, platform_key):
    row = PlatformApiKey.objects.get(user=user)
    placement = orders.order_place(user=user, key_id=row.pk, request=_request())
    assert placement.pending_order is None and placement.order.status == "complete"


def test_no_key_or_another_users_key_queues(user, make_user):
    other_row, _ = services.platform_key_regenerate(user=make_user())
    for key_id in (None, other_row.pk, 10**9):
        placement = orders.order_place(user=user, key_id=key_id, request=_request())
        assert placement.order is None and placement.pending_order is not None
    assert not Order.objects.exists()


def test_a_mode_changed_behind_the_cache_still_queues_the_next_order(anon, user, platform_key):
    # The key check answers from its cache; the order reads the mode itself. An update
    # that evicts nothing (raw SQL, a bulk update) must still decide the next order.
    assert "orderid" in place(anon, platform_key).json()
    PlatformApiKey.objects.filter(user=user).update(order_mode="semi_auto")
    assert "pending_order_id" in place(anon, platform_key).json()


def test_the_mode_is_read_on_every_order(anon, user, platform_key):
    assert "orderid" in place(anon, platform_key).json()
    services.platform_key_set_mode(user=user, mode="semi_auto")
    assert "pending_order_id" in place(anon, platform_key).json()
    services.platform_key_set_mode(user=user, mode="auto")
    assert "orderid" in place(anon, platform_key).json()
    assert Order.objects.count() == 2 and PendingOrder.objects.count() == 1
