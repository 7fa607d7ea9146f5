"""A platform key's audit log and usage as its owner sees them (/events, /usage), and the
promise that counting usage writes nothing per request."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys import usage
from apikeys.models import PlatformKeyEvent

pytestmark = pytest.mark.django_db


def create(api, **fields) -> dict:
    answer = api.post("/api/v1/platform-keys/", {"name": "bot", **fields}, format="json", REMOTE_ADDR="192.0.2.10")
    assert answer.status_code == 201, answer.content
    return answer.json()


def events(api, key_id: int) -> list[dict]:
    answer = api.get(f"/api/v1/platform-keys/{key_id}/events")
    assert answer.status_code == 200
    return answer.json()["events"]


def call(anon, endpoint: str, key: str, ip: str = "127.0.0.1", **body):
    return anon.post(f"/api/v1/{endpoint}", {"apikey": key, **body}, format="json", REMOTE_ADDR=ip)


def test_every_change_is_audited_with_who_when_and_where_but_never_the_key(api, user):
    key = create(api, scopes=["read:market", "read:account"])
    item = f"/api/v1/platform-keys/{key['id']}"
    api.get(f"{item}/reveal", REMOTE_ADDR="192.0.2.11")
    api.patch(item, {"scopes": ["read:market"]}, format="json")
    soon = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    api.patch(item, {"expires_at": soon.isoformat()}, format="json")
    api.patch(item, {"allowed_ips": ["10.0.0.0/8"]}, format="json")
    api.patch(item, {"rate_limit": "10/s"}, format="json")
    api.patch(item, {"order_mode": "semi_auto"}, format="json")
    api.patch(item, {"name": "renamed"}, format="json")
    rolled = api.post(f"{item}/roll", {"grace_seconds": 60}, format="json").json()
    api.delete(item)
    log = events(api, key["id"])
    assert [e["action"] for e in log] == [
        "revoked", "rolled", "renamed", "mode_changed", "rate_limit_changed", "allowlist_changed",
        "expiry_changed", "scopes_changed", "revealed", "created",
    ]
    assert {e["actor"] for e in log} == {"alice"}
    assert log[-1]["ip"] == "192.0.2.10" and log[-2]["ip"] == "192.0.2.11"
    by_action = {e["action"]: e for e in log}
    assert by_action["scopes_changed"]["detail"] == {"from": ["read:market", "read:account"], "to": ["read:market"]}
    assert by_action["expiry_changed"]["detail"] == {"from": None, "to": soon.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert by_action["allowlist_changed"]["detail"] == {"from": [], "to": ["10.0.0.0/8"]}
    assert by_action["mode_changed"]["detail"] == {"from": "auto", "to": "semi_auto"}
    assert by_action["rolled"]["detail"]["grace_seconds"] == 60
    assert by_action["created"]["label"] == "Created" and by_action["created"]["at"].endswith("Z")
    stored = json.dumps(list(PlatformKeyEvent.objects.values()), default=str)
    for secret in (key["api_key"], rolled["api_key"], key["api_key"][-8:], rolled["api_key"][-8:]):
        assert secret not in stored and secret not in json.dumps(log)


def test_revealing_again_and_again_is_one_line_per_address(api):
    key = create(api)
    for _ in range(3):
        api.get(f"/api/v1/platform-keys/{key['id']}/reveal")
    api.get(f"/api/v1/platform-keys/{key['id']}/reveal", REMOTE_ADDR="198.51.100.1")
    assert [e["action"] for e in events(api, key["id"])].count("revealed") == 2


def test_the_primary_key_is_audited_through_the_one_key_endpoints_too(api):
    api.post("/api/v1/apikey/")
    api.post("/api/v1/apikey/mode", {"mode": "semi_auto"}, format="json")
    api.post("/api/v1/apikey/")
    api.delete("/api/v1/apikey/")
    primary = api.get("/api/v1/platform-keys/").json()["keys"][0]
    assert [e["action"] for e in events(api, primary["id"])] == ["revoked", "rolled", "mode_changed", "created"]


def test_first_use_from_a_new_address_is_audited_once(api, anon, settings):
    settings.PLATFORM_KEY_USAGE_FLUSH_SECONDS = 0  # every request flushes: the batch is one request
    key = create(api)
    call(anon, "ping", key["api_key"], ip="203.0.113.5")
    call(anon, "ping", key["api_key"], ip="203.0.113.5")
    call(anon, "ping", key["api_key"], ip="2001:db8::7")
    new_ips = [e for e in events(api, key["id"]) if e["action"] == "new_ip"]
    assert [(e["ip"], e["actor"]) for e in new_ips] == [("2001:db8::7", None), ("203.0.113.5", None)]
    assert new_ips[0]["label"] == "First use from a new address"


def test_a_new_address_in_a_batch_is_audited_even_when_another_address_used_the_key_last(api, anon, settings):
    """A stolen key used between its owner's requests still leaves its address behind."""
    settings.PLATFORM_KEY_USAGE_FLUSH_SECONDS = 3600  # one batch, written below
    key = create(api)
    call(anon, "ping", key["api_key"], ip="198.51.100.1")
    call(anon, "ping", key["api_key"], ip="203.0.113.66")
    call(anon, "ping", key["api_key"], ip="198.51.100.1")
    usage.counter.flush()
    new_ips = sorted(e["ip"] for e in events(api, key["id"]) if e["action"] == "new_ip")
    assert new_ips == ["198.51.100.1", "203.0.113.66"]
    detail = api.get(f"/api/v1/platform-keys/{key['id']}").json()
    assert detail["last_used_ip"] == "198.51.100.1"


# --- usage -------------------------------------------------------------------------------

def test_usage_counts_requests_per_day_and_endpoint_group(api, anon):
    key = create(api)
    for _ in range(3):
        call(anon, "quotes", key["api_key"], symbol="SBIN", exchange="NSE")
    call(anon, "funds", key["api_key"], ip="198.51.100.9")
    call(anon, "ping", key["api_key"], ip="198.51.100.9")
    assert call(anon, "placeorder", create(api, name="other", scopes=["read:market"])["api_key"]).status_code == 403
    answer = api.get(f"/api/v1/platform-keys/{key['id']}/usage?days=7")
    assert answer.status_code == 200
    body = answer.json()  # this process's counts are in the answer before they are written
    assert body["total"] == 5 and body["by_group"] == {"read:market": 3, "read:account": 1, "other": 1}
    assert len(body["by_day"]) == 7 and body["by_day"][-1]["day"] == timezone.now().date().isoformat()
    assert body["by_day"][-1]["total"] == 5 and all(d["total"] == 0 for d in body["by_day"][:-1])
    usage.counter.flush()
    usage.counter.forget()
    after = api.get(f"/api/v1/platform-keys/{key['id']}/usage?days=7").json()
    assert after["by_group"] == body["by_group"]  # now from the database
    assert after["last_used_ip"] == "198.51.100.9" and after["last_used_at"] is not None
    listed = api.get(f"/api/v1/platform-keys/{key['id']}").json()
    assert listed["last_used_ip"] == "198.51.100.9"


def test_flushes_add_up(api, anon):
    key = create(api)
    call(anon, "ping", key["api_key"])
    usage.counter.flush()
    call(anon, "ping", key["api_key"])
    call(anon, "ping", key["api_key"])
    usage.counter.flush()
    usage.counter.forget()
    assert api.get(f"/api/v1/platform-keys/{key['id']}/usage").json()["by_group"] == {"other": 3}


@pytest.mark.parametrize("days", ["0", "367", "x", "-1", "²", "٣٠", "3" * 5000, "030 "])
def test_a_bad_days_is_a_400(api, days):
    key = create(api)
    answer = api.get(f"/api/v1/platform-keys/{key['id']}/usage?days={days}")
    assert answer.status_code == 400 and "days" in answer.json()


def test_counting_usage_adds_no_query_per_request(api, anon, settings):
    settings.PLATFORM_KEY_USAGE_FLUSH_SECONDS = 3600
    key = create(api, scopes=["read:market", "read:account"], allowed_ips=["127.0.0.0/8"], rate_limit="1000/s")
    usage.counter.flush()  # the interval starts now
    assert call(anon, "ping", key["api_key"]).status_code == 200  # cached, last_used_at written
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            assert call(anon, "ping", key["api_key"]).status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert usage.counter.pending(key["id"])[(timezone.now().date(), "other")] == 21
    with CaptureQueriesContext(connection) as first_batch:
        usage.counter.flush()  # the usage row created, last use, the new address and its audit line
    assert 0 < len(first_batch) < 20
    for _ in range(50):
        call(anon, "ping", key["api_key"])
    with CaptureQueriesContext(connection) as queries:
        usage.counter.flush()
    assert len(queries) == 2, [q["sql"] for q in queries]  # 50 requests: the usage row, the last use
