"""The Action Center: semi_auto orders wait, the owner approves (executes exactly once)
or rejects (never executes); nobody else sees or decides them; expiry is final."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import services
from tests.support.openapi import assert_documented
from trading import action_center
from trading.models import Order, PendingOrder, Trade

from .support import call, fast_password_hashing, order_body, place  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def semi_auto_key(user, platform_key):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    return platform_key


@pytest.fixture
def queued(anon, semi_auto_key) -> int:
    response = place(anon, semi_auto_key, quantity="3")
    return response.json()["pending_order_id"]


def test_semi_auto_queues_the_order_instead_of_executing_it(anon, semi_auto_key):
    response = place(anon, semi_auto_key)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "success", "message": "Order queued for approval in Action Center", "mode": "semi_auto",
        "pending_order_id": body["pending_order_id"],
    }
    assert not Order.objects.exists()
    assert call(anon, "orderbook", semi_auto_key).json()["data"]["orders"] == []


def test_the_pending_order_keeps_the_order_but_never_the_key(anon, semi_auto_key, queued):
    stored = PendingOrder.objects.get(pk=queued).order_data
    assert semi_auto_key not in str(stored) and "apikey" not in stored
    assert stored["symbol"] == "SBIN" and stored["quantity"] == 3


def test_pendingorders_lists_the_keys_users_waiting_orders(anon, semi_auto_key, queued):
    response = call(anon, "pendingorders", semi_auto_key)
    assert response.status_code == 200
    data = response.json()["data"]
    assert [o["pending_order_id"] for o in data["orders"]] == [queued]
    order = data["orders"][0]
    assert order["status"] == "pending" and order["symbol"] == "SBIN" and order["quantity"] == "3"
    assert order["orderid"] is None
    assert data["statistics"] == {"total_pending": 1, "total_approved": 0, "total_rejected": 0, "total_expired": 0}


def test_approve_executes_the_order_exactly_once(anon, api, semi_auto_key, queued):
    approved = api.post(f"/api/v1/pendingorders/{queued}/approve")
    assert approved.status_code == 200
    body = approved.json()
    assert body["status"] == "success" and body["order_status"] == "complete"
    order = Order.objects.get()
    assert body["orderid"] == order.orderid and order.quantity == 3
    assert order.pending_order_id == queued
    assert Trade.objects.count() == 1

    again = api.post(f"/api/v1/pendingorders/{queued}/approve")
    assert again.status_code == 409
    assert again.json() == {"status": "error", "message": "Pending order is already approved"}
    reject_after = api.post(f"/api/v1/pendingorders/{queued}/reject")
    assert reject_after.status_code == 409
    assert Order.objects.count() == 1 and Trade.objects.count() == 1
    listed = call(anon, "pendingorders", semi_auto_key, status="all").json()["data"]["orders"]
    assert listed[0]["status"] == "approved" and listed[0]["orderid"] == order.orderid


def test_reject_never_executes(api, anon, semi_auto_key, queued):
    rejected = api.post(f"/api/v1/pendingorders/{queued}/reject", {"reason": "not today"}, format="json")
    assert rejected.status_code == 200
    assert rejected.json() == {"status": "success", "message": "Order rejected", "pending_order_id": queued}
    assert api.post(f"/api/v1/pendingorders/{queued}/approve").status_code == 409
    assert api.post(f"/api/v1/pendingorders/{queued}/reject").status_code == 409
    assert not Order.objects.exists() and not Trade.objects.exists()
    row = PendingOrder.objects.get(pk=queued)
    assert row.status == "rejected" and row.rejection_reason == "not today"
    assert call(anon, "pendingorders", semi_auto_key).json()["data"]["orders"] == []


def test_another_user_cannot_see_approve_or_reject_it(other_user, other_api, queued):
    _, other_key = services.platform_key_regenerate(user=other_user)
    assert call(APIClient(), "pendingorders", other_key, status="all").json()["data"]["orders"] == []
    assert other_api.get("/api/v1/pendingorders?status=all").json()["data"]["orders"] == []
    for verb in ("approve", "reject"):
        response = other_api.post(f"/api/v1/pendingorders/{queued}/{verb}")
        assert response.status_code == 404
        assert response.json() == {"status": "error", "message": "Pending order not found"}
    assert PendingOrder.objects.get(pk=queued).status == "pending"
    assert not Order.objects.exists()


@pytest.mark.parametrize("pending_id", ["abc", "%C2%84", "1.5", "-1", "true", "9" * 19])
@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_an_id_that_is_no_number_is_the_same_json_404(api, queued, verb, pending_id):
    # Found by schemathesis: such ids missed the route and got Django's HTML 404 page.
    response = api.post(f"/api/v1/pendingorders/{pending_id}/{verb}/")
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Pending order not found"}
    assert_documented(api, "POST", f"/api/v1/pendingorders/{{pending_order_id}}/{verb}/", response)
    assert PendingOrder.objects.get(pk=queued).status == "pending"


@pytest.mark.parametrize("body", [{"reason": "x" * 256}, ["not", "an", "object"]])
def test_a_bad_reject_body_is_a_documented_400(api, queued, body):
    # Found by schemathesis: the 400 was not in the schema of approve/reject.
    response = api.post(f"/api/v1/pendingorders/{queued}/reject", body, format="json")
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert_documented(api, "POST", "/api/v1/pendingorders/{pending_order_id}/reject/", response)
    assert PendingOrder.objects.get(pk=queued).status == "pending"


def test_the_platform_key_alone_cannot_approve(anon, semi_auto_key, queued):
    """A script holding the key must not approve its own orders."""
    for how in (
        lambda: anon.post(f"/api/v1/pendingorders/{queued}/approve", {"apikey": semi_auto_key}, format="json"),
        lambda: anon.post(f"/api/v1/pendingorders/{queued}/approve", HTTP_X_API_KEY=semi_auto_key),
    ):
        response = how()
        assert response.status_code in (401, 403)
        assert response.json()["status"] == "error"
    assert not Order.objects.exists()


def test_a_session_approval_needs_the_csrf_token(user, queued):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    refused = browser.post(f"/api/v1/pendingorders/{queued}/approve", content_type="application/json")
    assert refused.status_code == 403
    assert not Order.objects.exists()
    browser.get("/action-center/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        f"/api/v1/pendingorders/{queued}/approve", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200
    assert Order.objects.count() == 1


def test_an_expired_pending_order_cannot_be_approved_and_shows_as_expired(
    anon, api, semi_auto_key, queued, monkeypatch, settings
):
    later = timezone.now() + timedelta(seconds=settings.PENDING_ORDER_TTL_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    listed = call(anon, "pendingorders", semi_auto_key, status="all").json()["data"]
    assert listed["orders"][0]["status"] == "expired"
    assert listed["statistics"]["total_expired"] == 1
    assert call(anon, "pendingorders", semi_auto_key).json()["data"]["orders"] == []

    response = api.post(f"/api/v1/pendingorders/{queued}/approve")
    assert response.status_code == 409
    assert response.json() == {"status": "error", "message": "Pending order has expired"}
    assert PendingOrder.objects.get(pk=queued).status == "expired"  # recorded, for the admin too
    assert api.post(f"/api/v1/pendingorders/{queued}/reject").status_code == 409
    assert not Order.objects.exists()


def test_the_ttl_is_a_setting(anon, semi_auto_key, settings):
    settings.PENDING_ORDER_TTL_SECONDS = 60
    pending_id = place(anon, semi_auto_key).json()["pending_order_id"]
    row = PendingOrder.objects.get(pk=pending_id)
    assert row.expires_at - row.created_at == timedelta(seconds=60)


def test_status_and_books_are_never_queued_and_cancel_is_refused_in_semi_auto(anon, user, platform_key):
    orderid = place(anon, platform_key, pricetype="LIMIT", price="1").json()["orderid"]  # auto: rests open
    services.platform_key_set_mode(user=user, mode="semi_auto")
    for endpoint in ("orderstatus", "orderbook", "tradebook", "positionbook", "funds"):
        assert call(anon, endpoint, platform_key, orderid=orderid).json()["status"] == "success"
    refused = call(anon, "cancelorder", platform_key, orderid=orderid)
    assert (refused.status_code, refused.json()) == (403, {"status": "error", "message": (
        "Cancel order operation is not allowed in Semi-Auto mode. Please switch to Auto mode to cancel orders.")})
    assert Order.objects.get().status == "open"
    assert not PendingOrder.objects.exists()


def test_approval_executes_even_if_the_mode_went_back_to_auto(api, user, queued):
    services.platform_key_set_mode(user=user, mode="auto")
    assert api.post(f"/api/v1/pendingorders/{queued}/approve").status_code == 200
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_execute_once(user, platform_key):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database does not take concurrent writers from threads")
    services.platform_key_set_mode(user=user, mode="semi_auto")
    queued_response = APIClient().post("/api/v1/placeorder", order_body(platform_key), format="json")
    pending_id = queued_response.json()["pending_order_id"]
    barrier = threading.Barrier(4)
    outcomes = []

    def approve():
        barrier.wait()
        try:
            action_center.pending_order_approve(user=user, pending_order_id=pending_id)
            outcomes.append("approved")
        except action_center.Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "conflict", "conflict", "conflict"]
    assert Order.objects.filter(pending_order_id=pending_id).count() == 1
    assert Trade.objects.count() == 1


def test_action_center_page_needs_a_login(client):
    response = client.get("/action-center/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_action_center_page_lists_through_its_script_without_inline_code(client, user):
    client.force_login(user)
    response = client.get("/action-center/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "keyward/action_center.js" in html and "keyward/csrf.js" in html
    assert 'data-list-endpoint="/api/v1/pendingorders"' in html
    assert "<script>" not in html and "onclick" not in html.lower()
    assert "cdn" not in html.lower()


def test_the_page_script_is_served_locally(client):
    response = client.get("/static/keyward/action_center.js")
    assert response.status_code == 200
    script = b"".join(response.streaming_content).decode()
    assert "/approve" in script or '"approve"' in script
    assert "Keyward.request" in script


def test_a_jwt_request_with_a_junk_apikey_beside_it_is_served_by_the_jwt(api, semi_auto_key, queued):
    response = api.get("/api/v1/pendingorders?apikey=junk")
    assert response.status_code == 200, response.content
    assert [o["pending_order_id"] for o in response.json()["data"]["orders"]] == [queued]


def test_pendingorders_without_any_credentials_still_asks_for_the_key(anon):
    response = anon.get("/api/v1/pendingorders")
    assert response.status_code == 403 and response.json()["message"].startswith("Missing openalgo apikey")
