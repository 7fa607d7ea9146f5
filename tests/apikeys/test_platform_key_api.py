"""The four /api/v1/apikey/ endpoints (docs/api/platform-key.md), as their users see them."""
from __future__ import annotations

import pytest

from apikeys import verification
from apikeys.models import PlatformApiKey
from tests.support.openapi import assert_documented

pytestmark = pytest.mark.django_db


def test_a_new_user_has_no_key_and_auto_mode(api, user):
    response = api.get("/api/v1/apikey/")
    assert response.status_code == 200
    assert response.json() == {
        "login_username": "alice", "has_api_key": False, "api_key": None, "order_mode": "auto",
    }


def test_regenerate_returns_a_64_hex_key_that_get_shows_again(api):
    created = api.post("/api/v1/apikey/")
    assert created.status_code == 200
    body = created.json()
    assert body["message"] == "API key updated successfully."
    assert len(body["api_key"]) == 64 and set(body["api_key"]) <= set("0123456789abcdef")
    shown = api.get("/api/v1/apikey").json()
    assert shown["has_api_key"] is True
    assert shown["api_key"] == body["api_key"]
    assert body["key_id"] == PlatformApiKey.objects.get().pk


def test_regenerate_makes_the_old_key_fail_on_the_very_next_verification(api):
    old = api.post("/api/v1/apikey/").json()["api_key"]
    assert verification.verify(old) is not None  # now memoised
    new = api.post("/api/v1/apikey/").json()["api_key"]
    assert verification.verify(old) is None
    assert verification.verify(new) is not None


def test_revoke_stops_the_key_at_once_and_keeps_the_order_mode(api):
    key = api.post("/api/v1/apikey/").json()["api_key"]
    api.post("/api/v1/apikey/mode/", {"mode": "semi_auto"}, format="json")
    assert verification.verify(key) is not None
    assert api.delete("/api/v1/apikey/").status_code == 204
    assert verification.verify(key) is None
    shown = api.get("/api/v1/apikey/").json()
    assert shown["has_api_key"] is False and shown["api_key"] is None
    assert shown["order_mode"] == "semi_auto"
    assert api.delete("/api/v1/apikey/").status_code == 204  # idempotent: still no key


def test_the_order_mode_can_be_chosen_while_the_key_is_revoked_and_the_next_key_has_it(api):
    api.post("/api/v1/apikey/")
    api.delete("/api/v1/apikey/")
    changed = api.post("/api/v1/apikey/mode/", {"mode": "semi_auto"}, format="json")
    assert changed.status_code == 200 and changed.json()["mode"] == "semi_auto"
    key = api.post("/api/v1/apikey/").json()["api_key"]
    assert verification.verify(key).order_mode == "semi_auto"


def test_answers_that_can_hold_the_key_are_never_cached(api):
    for response in (api.post("/api/v1/apikey/"), api.get("/api/v1/apikey/"), api.delete("/api/v1/apikey/")):
        assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("mode", ["auto", "semi_auto"])
def test_mode_endpoint_accepts_the_two_modes(api, mode):
    response = api.post("/api/v1/apikey/mode/", {"mode": mode}, format="json")
    assert response.status_code == 200
    assert response.json() == {"message": f"Order mode updated to {mode}", "mode": mode}
    assert api.get("/api/v1/apikey/").json()["order_mode"] == mode


@pytest.mark.parametrize(
    "body",
    [{"mode": "manual"}, {"mode": ""}, {"mode": None}, {"mode": 1}, {"mode": ["auto"]}, {}, {"mode": "AUTO"}, ["auto"], "auto"],
)
def test_mode_endpoint_rejects_everything_else(api, body):
    response = api.post("/api/v1/apikey/mode", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": 'Invalid mode. Must be "auto" or "semi_auto"'}


@pytest.mark.parametrize("raw", ["{not json", "\x00", "[1,"])
def test_mode_endpoint_rejects_malformed_json(api, raw):
    # Found by schemathesis: unreadable JSON got DRF's {"detail": ...}, not the documented {"error": ...}.
    response = api.generic("POST", "/api/v1/apikey/mode/", raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": 'Invalid mode. Must be "auto" or "semi_auto"'}
    assert_documented(api, "POST", "/api/v1/apikey/mode/", response)


@pytest.mark.parametrize(
    "method,path",
    [("get", "/api/v1/apikey/"), ("post", "/api/v1/apikey/"), ("delete", "/api/v1/apikey/"), ("post", "/api/v1/apikey/mode/")],
)
def test_anonymous_is_refused_everywhere(anon, method, path):
    response = getattr(anon, method)(path)
    assert response.status_code == 401


def test_one_user_never_touches_anothers_key(api, other_api, user, other_user):
    mine = api.post("/api/v1/apikey/").json()["api_key"]
    # The other user regenerates "with my user id" in the body: ignored, acts on themselves.
    theirs = other_api.post("/api/v1/apikey/", {"user_id": user.pk}, format="json").json()["api_key"]
    assert theirs != mine
    assert api.get("/api/v1/apikey/").json()["api_key"] == mine
    assert other_api.delete("/api/v1/apikey/", {"user_id": user.pk}, format="json").status_code == 204
    assert verification.verify(mine).user == user
    assert verification.verify(theirs) is None


def test_session_post_without_csrf_is_refused(client, user):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post("/api/v1/apikey/").status_code == 403
    assert browser.get("/api/v1/apikey/").status_code == 200
