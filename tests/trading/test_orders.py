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


@pytest.mark.parametrize("mode", [None, "", "semi_auto", "unknown", 1, object()])
def test_routing_executes_only_on_exactly_auto(user, mode):
    request = broker.OrderRequest(strategy="t", symbol="SBIN", exchange="NSE", action="BUY", quantity=1)
    placement = orders.order_place(user=user, order_mode=mode, request=request)
    assert placement.order is None and placement.pending_order is not None
    assert not Order.objects.exists()


def test_routing_executes_on_auto(user):
    request = broker.OrderRequest(strategy="t", symbol="SBIN", exchange="NSE", action="BUY", quantity=1)
    placement = orders.order_place(user=user, order_mode="auto", request=request)
    assert placement.pending_order is None and placement.order.status == "complete"


def test_the_mode_is_read_on_every_order(anon, user, platform_key):
    assert "orderid" in place(anon, platform_key).json()
    services.platform_key_set_mode(user=user, mode="semi_auto")
    assert "pending_order_id" in place(anon, platform_key).json()
    services.platform_key_set_mode(user=user, mode="auto")
    assert "orderid" in place(anon, platform_key).json()
    assert Order.objects.count() == 2 and PendingOrder.objects.count() == 1
