"""/api/v1/platform-keys/: several named keys, scopes, expiry and roll with grace, as
their owners and their scripts see them over HTTP (docs/api/platform-key.md)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys import scopes
from apikeys.key_cache import cache as key_cache
from apikeys.models import PlatformApiKey
from tests.support.openapi import assert_documented

pytestmark = pytest.mark.django_db

ORDER = {"strategy": "T", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "pricetype": "MARKET",
         "product": "MIS", "quantity": "1"}


def create(api, **fields) -> dict:
    answer = api.post("/api/v1/platform-keys/", {"name": "bot", **fields}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer["Cache-Control"] == "no-store"
    return answer.json()


def call(anon, endpoint: str, key: str, **body):
    return anon.post(f"/api/v1/{endpoint}", {"apikey": key, **body}, format="json")


def test_a_new_key_has_every_scope_by_default_and_its_secret_is_shown_once(api, anon):
    body = create(api, name="scanner")
    assert body["name"] == "scanner" and body["is_primary"] is False and body["state"] == "active"
    assert body["scopes"] == list(scopes.ALL_SCOPES)
    assert len(body["api_key"]) == 64 and body["hint"] == "****" + body["api_key"][-4:]
    listed = api.get("/api/v1/platform-keys/").json()
    assert [k["id"] for k in listed["keys"]] == [body["id"]] and listed["limit"] == 10
    assert "api_key" not in listed["keys"][0] and "api_key" not in api.get(f"/api/v1/platform-keys/{body['id']}").json()
    # ...and its owner can reveal it again.
    assert api.get(f"/api/v1/platform-keys/{body['id']}/reveal").json() == {"api_key": body["api_key"]}
    assert call(anon, "funds", body["api_key"]).status_code == 200


def test_several_keys_work_side_by_side_and_revoking_one_leaves_the_others(api, anon, platform_key):
    one, two = create(api, name="one"), create(api, name="two")
    assert api.delete(f"/api/v1/platform-keys/{one['id']}").status_code == 204
    assert call(anon, "ping", one["api_key"]).status_code == 403
    assert call(anon, "ping", two["api_key"]).status_code == 200
    assert call(anon, "ping", platform_key).status_code == 200
    keys = api.get("/api/v1/platform-keys/").json()["keys"]
    assert keys[0]["is_primary"] is True  # the primary first
    assert {k["name"]: k["state"] for k in keys} == {"Primary key": "active", "one": "revoked", "two": "active"}
    assert api.delete(f"/api/v1/platform-keys/{one['id']}").status_code == 204  # idempotent


def test_the_number_of_live_keys_is_capped(api, settings):
    settings.PLATFORM_KEYS_PER_USER = 2
    first = create(api, name="a")
    create(api, name="b")
    refused = api.post("/api/v1/platform-keys/", {"name": "c"}, format="json")
    assert refused.status_code == 409
    assert refused.json() == {"detail": "You already have 2 keys, the most allowed: revoke one first"}
    api.delete(f"/api/v1/platform-keys/{first['id']}")
    create(api, name="c")  # a revoked key no longer counts


def test_another_users_key_is_a_404_like_a_missing_one(api, other_api):
    mine = create(api)
    for path in ("", "/reveal", "/events", "/usage"):
        assert other_api.get(f"/api/v1/platform-keys/{mine['id']}{path}").status_code == 404
        assert api.get(f"/api/v1/platform-keys/999999{path}").status_code == 404
        assert api.get(f"/api/v1/platform-keys/abc{path}").status_code == 404
    assert other_api.post(f"/api/v1/platform-keys/{mine['id']}/roll", {}, format="json").status_code == 404
    assert other_api.delete(f"/api/v1/platform-keys/{mine['id']}").status_code == 404
    assert api.get(f"/api/v1/platform-keys/{mine['id']}").status_code == 200


def test_a_platform_key_cannot_manage_keys(anon, platform_key):
    assert anon.get("/api/v1/platform-keys/", HTTP_X_API_KEY=platform_key).status_code in (401, 403)


@pytest.mark.parametrize("fields, field", [
    ({"scopes": ["write:everything"]}, "scopes"),
    ({"scopes": []}, "scopes"),
    ({"allowed_ips": ["10.0.0.300"]}, "allowed_ips"),
    ({"rate_limit": "fast"}, "rate_limit"),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"name": ""}, "name"),
])
def test_bad_settings_get_a_400_naming_the_field(api, fields, field):
    answer = api.post("/api/v1/platform-keys/", {"name": "x", **fields}, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert field in body or field in body.get("detail", ""), body
    assert not PlatformApiKey.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(api):
    answer = api.post("/api/v1/platform-keys/", "[1]", content_type="application/json")
    assert answer.status_code == 400


# --- scopes ------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint, body, scope", [
    ("placeorder", ORDER, scopes.WRITE_ORDERS),
    ("cancelorder", {"orderid": "1"}, scopes.WRITE_ORDERS),
    ("closeposition", {"strategy": "T"}, scopes.WRITE_ORDERS),
    ("funds", {}, scopes.READ_ACCOUNT),
    ("orderbook", {}, scopes.READ_ACCOUNT),
    ("holdings", {}, scopes.READ_ACCOUNT),
    ("quotes", {"symbol": "SBIN", "exchange": "NSE"}, scopes.READ_MARKET),
    ("depth", {"symbol": "SBIN", "exchange": "NSE"}, scopes.READ_MARKET),
])
def test_a_key_without_the_endpoints_scope_gets_403_naming_it(api, anon, endpoint, body, scope):
    others = [s for s in scopes.ALL_SCOPES if s != scope]
    narrow = create(api, scopes=others)["api_key"]
    answer = call(anon, endpoint, narrow, **body)
    assert answer.status_code == 403
    assert answer.json() == {"status": "error", "message": f"This API key lacks the {scope} scope"}
    only = create(api, name="only", scopes=[scope])["api_key"]
    assert call(anon, endpoint, only, **body).status_code != 403


def test_ping_answers_any_valid_key(api, anon):
    assert call(anon, "ping", create(api, scopes=[scopes.READ_MARKET])["api_key"]).status_code == 200


def test_a_read_only_key_places_nothing(api, anon, user):
    from trading.models import Order

    key = create(api, scopes=[scopes.READ_MARKET, scopes.READ_ACCOUNT])["api_key"]
    assert call(anon, "placeorder", key, **ORDER).status_code == 403
    assert not Order.objects.filter(user=user).exists()


def test_a_scope_change_takes_effect_on_the_very_next_request(api, anon):
    body = create(api)
    assert call(anon, "placeorder", body["api_key"], **ORDER).status_code == 200  # now cached
    changed = api.patch(f"/api/v1/platform-keys/{body['id']}", {"scopes": ["read:market"]}, format="json")
    assert changed.status_code == 200 and changed.json()["scopes"] == ["read:market"]
    assert call(anon, "placeorder", body["api_key"], **ORDER).status_code == 403


def test_the_primary_key_always_has_every_scope(api, platform_key):
    primary = api.get("/api/v1/platform-keys/").json()["keys"][0]
    assert primary["is_primary"] and primary["scopes"] == list(scopes.ALL_SCOPES)
    answer = api.patch(f"/api/v1/platform-keys/{primary['id']}", {"scopes": ["read:market"]}, format="json")
    assert answer.status_code == 400 and answer.json() == {"detail": "The primary key always has every scope"}


def test_a_view_that_declares_no_scope_needs_every_scope():
    from apikeys.permissions import needed_scopes

    class Unclassified:
        pass

    class Ping:
        required_scope = scopes.ANY_KEY

    assert needed_scopes(Unclassified()) == scopes.ALL_SCOPES
    assert needed_scopes(Ping()) == ()


def test_every_platform_key_endpoint_declares_its_scope():
    """A new OpenAlgo endpoint names its scope (``required_scope``) or it is full keys only:
    this lists any that forgot, so the choice is made on purpose."""
    from django.urls import get_resolver

    from trading.views import OpenAlgoView

    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            else:
                yield getattr(pattern.callback, "view_class", None)

    from apikeys.authentication import PlatformKeyAuthentication

    undeclared = sorted({
        v.__name__ for v in views(get_resolver().url_patterns)
        if v is not None and issubclass(v, OpenAlgoView) and PlatformKeyAuthentication in v.authentication_classes
        and v.required_scope is None
    })
    assert undeclared == []


# --- expiry ------------------------------------------------------------------------------

def test_an_expired_key_gets_403_saying_it_expired(api, anon):
    body = create(api, expires_at=(timezone.now() + timedelta(days=3, hours=1)).isoformat())
    assert body["days_left"] == 4 and body["state"] == "active"
    assert call(anon, "funds", body["api_key"]).status_code == 200
    past = timezone.now() - timedelta(seconds=1)
    PlatformApiKey.objects.filter(pk=body["id"]).update(expires_at=past)  # as if created days ago
    key_cache.clear()  # a process that never saw it
    answer = call(anon, "funds", body["api_key"])
    assert answer.status_code == 403
    assert answer.json()["message"] == f"This API key expired on {past:%Y-%m-%dT%H:%M:%SZ}"
    assert api.get(f"/api/v1/platform-keys/{body['id']}").json()["state"] == "expired"


def test_the_cache_refuses_a_key_the_moment_it_expires(api, anon):
    body = create(api, expires_at=(timezone.now() + timedelta(seconds=2)).isoformat())
    assert call(anon, "funds", body["api_key"]).status_code == 200  # cached with its expiry
    assert len(key_cache) == 1
    import time

    time.sleep(2.1)
    answer = call(anon, "funds", body["api_key"])
    assert answer.status_code == 403 and "expired" in answer.json()["message"]


def test_expiry_can_be_set_and_cleared(api, anon):
    body = create(api)
    soon = (timezone.now() + timedelta(hours=5)).isoformat()
    assert api.patch(f"/api/v1/platform-keys/{body['id']}", {"expires_at": soon}, format="json").json()["days_left"] == 1
    cleared = api.patch(f"/api/v1/platform-keys/{body['id']}", {"expires_at": None}, format="json").json()
    assert cleared["expires_at"] is None and cleared["days_left"] is None


# --- roll with grace ---------------------------------------------------------------------

def test_roll_with_grace_keeps_the_old_secret_until_the_grace_ends(api, anon):
    body = create(api)
    old = body["api_key"]
    assert call(anon, "funds", old).status_code == 200  # cached
    rolled = api.post(f"/api/v1/platform-keys/{body['id']}/roll", {"grace_seconds": 3600}, format="json")
    assert rolled.status_code == 200 and rolled["Cache-Control"] == "no-store"
    new = rolled.json()["api_key"]
    assert new != old and rolled.json()["grace_ends_at"] is not None
    assert call(anon, "funds", old).status_code == 200
    assert call(anon, "funds", new).status_code == 200
    # The grace ends: refused as any unknown key (the cache test below waits for the clock).
    PlatformApiKey.objects.filter(pk=body["id"]).update(previous_valid_until=timezone.now())
    key_cache.clear()
    refused = call(anon, "funds", old)
    assert refused.status_code == 403 and refused.json()["message"] == "Invalid openalgo apikey"
    assert call(anon, "funds", new).status_code == 200
    assert api.get(f"/api/v1/platform-keys/{body['id']}/reveal").json()["api_key"] == new


def test_the_cached_old_secret_is_refused_when_its_grace_ends(api, anon):
    body = create(api)
    rolled = api.post(f"/api/v1/platform-keys/{body['id']}/roll", {"grace_seconds": 2}, format="json").json()
    assert call(anon, "funds", body["api_key"]).status_code == 200  # the old secret, cached with its end
    import time

    time.sleep(2.1)
    assert call(anon, "funds", body["api_key"]).status_code == 403
    assert call(anon, "funds", rolled["api_key"]).status_code == 200


def test_roll_without_grace_stops_the_old_secret_at_once(api, anon):
    body = create(api)
    assert call(anon, "funds", body["api_key"]).status_code == 200
    rolled = api.post(f"/api/v1/platform-keys/{body['id']}/roll", {}, format="json").json()
    assert rolled["grace_ends_at"] is None
    assert call(anon, "funds", body["api_key"]).status_code == 403


def test_rolling_again_ends_the_earlier_grace(api, anon):
    body = create(api)
    api.post(f"/api/v1/platform-keys/{body['id']}/roll", {"grace_seconds": 600}, format="json")
    api.post(f"/api/v1/platform-keys/{body['id']}/roll", {"grace_seconds": 600}, format="json")
    assert call(anon, "ping", body["api_key"]).status_code == 403


@pytest.mark.parametrize("grace", [-1, 86401, "soon", 1.5])
def test_a_grace_outside_0_to_86400_seconds_is_a_400(api, grace):
    body = create(api)
    answer = api.post(f"/api/v1/platform-keys/{body['id']}/roll", {"grace_seconds": grace}, format="json")
    assert answer.status_code == 400 and "grace_seconds" in answer.json()


def test_a_revoked_key_cannot_be_rolled_or_changed(api):
    body = create(api)
    api.delete(f"/api/v1/platform-keys/{body['id']}")
    assert api.post(f"/api/v1/platform-keys/{body['id']}/roll", {}, format="json").status_code == 409
    assert api.patch(f"/api/v1/platform-keys/{body['id']}", {"name": "x"}, format="json").status_code == 409
    assert api.get(f"/api/v1/platform-keys/{body['id']}/reveal").json() == {"api_key": None}


def test_regenerating_the_primary_key_is_a_roll_with_grace_0(api, anon, platform_key):
    primary_id = PlatformApiKey.objects.get(is_primary=True).pk
    regenerated = api.post("/api/v1/apikey/").json()
    assert regenerated["key_id"] == primary_id  # the same key, a new secret
    assert call(anon, "ping", platform_key).status_code == 403
    actions = [e["action"] for e in api.get(f"/api/v1/platform-keys/{primary_id}/events").json()["events"]]
    assert actions[0] == "rolled"


def test_the_one_key_endpoints_act_on_the_primary_key_only(api, anon, platform_key):
    other = create(api, name="bot")
    assert api.get("/api/v1/apikey/").json()["api_key"] == platform_key
    assert api.post("/api/v1/apikey/mode/", {"mode": "semi_auto"}, format="json").status_code == 200
    keys = {k["name"]: k for k in api.get("/api/v1/platform-keys/").json()["keys"]}
    assert keys["Primary key"]["order_mode"] == "semi_auto" and keys["bot"]["order_mode"] == "auto"
    # Each key places orders in its own mode.
    assert "orderid" in call(anon, "placeorder", other["api_key"], **ORDER).json()
    assert "pending_order_id" in call(anon, "placeorder", platform_key, **ORDER).json()
    assert api.delete("/api/v1/apikey/").status_code == 204
    assert call(anon, "ping", other["api_key"]).status_code == 200


def test_the_answers_are_the_documented_ones(api):
    created = api.post("/api/v1/platform-keys/", {"name": "doc", "rate_limit": "5/s", "allowed_ips": ["10.0.0.0/8"]},
                       format="json")
    assert_documented(api, "POST", "/api/v1/platform-keys/", created)
    key_id = created.json()["id"]
    item = f"/api/v1/platform-keys/{key_id}/"
    for method, suffix, body, status in [
        ("GET", "", None, 200), ("PATCH", "", {"name": "renamed"}, 200), ("PATCH", "", {"scopes": ["x"]}, 400),
        ("POST", "roll/", {"grace_seconds": 60}, 200), ("GET", "reveal/", None, 200), ("GET", "events/", None, 200),
        ("GET", "usage/", None, 200), ("DELETE", "", None, 204),
    ]:
        answer = getattr(api, method.lower())(item + suffix, body, format="json") if body else \
            getattr(api, method.lower())(item + suffix)
        assert answer.status_code == status, (method, suffix, answer.content)
        assert_documented(api, method, "/api/v1/platform-keys/{key_id}/" + suffix, answer)
    assert_documented(api, "GET", "/api/v1/platform-keys/", api.get("/api/v1/platform-keys/"))
    assert_documented(api, "GET", "/api/v1/platform-keys/{key_id}/", api.get("/api/v1/platform-keys/0/"))
