"""Operators see sandbox orders and the Action Center queue in the admin, read-only."""
from __future__ import annotations

import pytest

from apikeys import services
from trading.models import Order, PendingOrder

from .support import fast_password_hashing, place  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, make_user):
    admin = make_user("operator", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_orders_and_pending_orders_are_listed_without_the_key(operator, anon, user, platform_key):
    place(anon, platform_key)
    services.platform_key_set_mode(user=user, mode="semi_auto")
    place(anon, platform_key, symbol="TCS")
    order, pending = Order.objects.get(), PendingOrder.objects.get()
    for url in (
        "/admin/trading/order/", f"/admin/trading/order/{order.pk}/change/",
        "/admin/trading/pendingorder/", f"/admin/trading/pendingorder/{pending.pk}/change/",
        "/admin/trading/position/", "/admin/trading/account/",
    ):
        response = operator.get(url)
        assert response.status_code == 200, url
        assert platform_key not in response.content.decode()
    listing = operator.get("/admin/trading/pendingorder/").content.decode()
    assert "BUY 10 TCS NSE MARKET" in listing and "pending" in listing
    assert order.orderid in operator.get("/admin/trading/order/").content.decode()


def test_the_admin_cannot_add_or_edit_orders(operator, anon, platform_key):
    place(anon, platform_key)
    order = Order.objects.get()
    assert operator.get("/admin/trading/order/add/").status_code == 403
    assert operator.get("/admin/trading/pendingorder/add/").status_code == 403
    operator.post(f"/admin/trading/order/{order.pk}/change/", {"status": "cancelled"})
    order.refresh_from_db()
    assert order.status == "complete"
