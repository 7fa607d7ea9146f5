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


def test_a_strategy_added_in_the_admin_keeps_its_webhook_id_out_of_messages_and_pages(operator, user):
    """The webhook id is a credential: a Django message would park it in a cookie or the
    session, so the admin says where its owner finds the URL instead."""
    from trading.models import Strategy

    answer = operator.post("/admin/trading/strategy/add/", {
        "user": user.pk, "name": "breakout", "trading_mode": "LONG", "is_active": "on",
        "created_at_0": "2026-12-04", "created_at_1": "10:00:00",
        "symbols-TOTAL_FORMS": "0", "symbols-INITIAL_FORMS": "0",
        "symbols-MIN_NUM_FORMS": "0", "symbols-MAX_NUM_FORMS": "1000",
    }, follow=True)
    assert answer.status_code == 200
    strategy = Strategy.objects.get(name="breakout")
    assert len(strategy.webhook_id) == 64
    assert "strategies page" in answer.content.decode()
    assert strategy.webhook_id not in answer.content.decode()
    assert strategy.webhook_id not in str(answer.cookies) and strategy.webhook_id not in str(operator.cookies)
    listing = operator.get("/admin/trading/strategy/").content.decode()
    assert strategy.webhook_id not in listing and f"****{strategy.webhook_id[-4:]}" in listing
