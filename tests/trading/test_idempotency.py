"""Idempotent order placement: a retry with the same Idempotency-Key (header or body
field) within 24 h gets the first answer and places nothing; without a key nothing changes."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import services
from trading.models import IdempotentOrderRequest, Order, PendingOrder

from .support import fast_password_hashing, order_body, place  # noqa: F401

pytestmark = pytest.mark.django_db


def place_with_header(client, key: str, idempotency_key: str, **fields):
    return client.post("/api/v1/placeorder", order_body(key, **fields), format="json", HTTP_IDEMPOTENCY_KEY=idempotency_key)


def test_a_retry_with_the_same_header_returns_the_first_answer_and_places_nothing(anon, platform_key):
    first = place_with_header(anon, platform_key, "retry-1")
    again = place_with_header(anon, platform_key, "retry-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["orderid"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1


def test_the_body_field_works_as_the_header_does_for_webhook_senders(anon, platform_key):
    first = place(anon, platform_key, idempotency_key="tv-alert-42")
    again = place(anon, platform_key, idempotency_key="tv-alert-42")
    by_header = place_with_header(anon, platform_key, "tv-alert-42")
    assert first.json() == again.json() == by_header.json()
    assert Order.objects.count() == 1


def test_without_a_key_every_request_places_an_order_as_before(anon, platform_key):
    assert place(anon, platform_key).json()["orderid"] != place(anon, platform_key).json()["orderid"]
    assert Order.objects.count() == 2


def test_the_same_key_with_a_different_order_is_refused_and_places_nothing(anon, platform_key):
    place_with_header(anon, platform_key, "k1", quantity="10")
    response = place_with_header(anon, platform_key, "k1", quantity="11")
    assert response.status_code == 422
    assert response.json() == {"status": "error", "message": "This Idempotency-Key was already used for a different request"}
    assert Order.objects.count() == 1


@pytest.mark.parametrize("bad", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_a_400_and_places_nothing(anon, platform_key, bad):
    response = place(anon, platform_key, idempotency_key=bad)
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert Order.objects.count() == 0


def test_header_and_field_that_differ_are_a_400(anon, platform_key):
    response = anon.post("/api/v1/placeorder", order_body(platform_key, idempotency_key="a"), format="json",
                         HTTP_IDEMPOTENCY_KEY="b")
    assert response.status_code == 400 and "differ" in response.json()["message"]
    assert Order.objects.count() == 0


def test_keys_belong_to_their_user(anon, platform_key, other_user):
    _, other_key = services.platform_key_regenerate(user=other_user)
    mine, theirs = place_with_header(anon, platform_key, "shared"), place_with_header(anon, other_key, "shared")
    assert mine.json()["orderid"] != theirs.json()["orderid"]
    assert Order.objects.count() == 2


def test_after_24_hours_the_key_places_a_new_order(anon, platform_key):
    first = place_with_header(anon, platform_key, "daily")
    IdempotentOrderRequest.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    again = place_with_header(anon, platform_key, "daily")
    assert again.json()["orderid"] != first.json()["orderid"] and "Idempotent-Replayed" not in again
    assert Order.objects.count() == 2 and IdempotentOrderRequest.objects.count() == 1


def test_a_semi_auto_retry_queues_one_pending_order(anon, user, platform_key):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    first, again = place_with_header(anon, platform_key, "q"), place_with_header(anon, platform_key, "q")
    assert again.json() == first.json() and first.json()["pending_order_id"]
    assert PendingOrder.objects.count() == 1 and Order.objects.count() == 0


def test_a_rejected_order_is_answered_again_with_its_rejection(anon, platform_key, settings):
    settings.SANDBOX_STARTING_CASH = 1.0  # too little for any order: the sandbox rejects it
    first = place_with_header(anon, platform_key, "poor")
    again = place_with_header(anon, platform_key, "poor")
    assert first.status_code == again.status_code == 400 and again.json() == first.json()
    assert Order.objects.count() == 1


def test_a_failed_validation_does_not_use_up_the_key(anon, platform_key):
    assert place_with_header(anon, platform_key, "fix-me", quantity="-1").status_code == 400
    assert place_with_header(anon, platform_key, "fix-me").status_code == 200
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_retries_with_one_key_place_one_order(user, platform_key):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database does not take concurrent writers from threads")
    barrier, answers = threading.Barrier(4), []

    def send():
        barrier.wait()
        try:
            answers.append(place_with_header(APIClient(), platform_key, "racing").json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4 and len({a["orderid"] for a in answers}) == 1, answers
    assert Order.objects.count() == 1
