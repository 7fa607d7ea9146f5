"""Two server processes, one database, one Redis: what a key may do, changed through A,
holds in B at once though B had the key cached — a roll's grace ending, a scope removed,
an expiry reached, an allowlist narrowed — and a per-key rate limit counts across both.

On PostgreSQL when the suite runs with a PostgreSQL DATABASE_URL, else on a shared
SQLite file (the fixtures are test_revocation_processes.py's).
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.apikeys import test_revocation_processes as revocation
from tests.apikeys.test_revocation_processes import cached_on, jwt, ping, refused_within, seeded

pytestmark = pytest.mark.live

# The same two servers' fixtures (module-scoped: a pair of this module's own).
database, redis_server, pair = revocation.database, revocation.redis_server, revocation.pair


def create(server, headers, **fields) -> dict:
    answer = httpx.post(f"{server.url}/api/v1/platform-keys/", json={"name": "bot", **fields}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def patch(server, headers, key_id: int, **fields) -> dict:
    answer = httpx.patch(f"{server.url}/api/v1/platform-keys/{key_id}/", json=fields, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def funds(server, key: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/funds", json={"apikey": key}, timeout=10)


def owner(a, username: str) -> dict[str, str]:
    seeded(a, username)
    return jwt(a, username)


def test_the_old_secret_works_in_b_until_the_grace_ends_then_never(pair):
    a, b = pair
    headers = owner(a, "rolls")
    key = create(a, headers)
    old = key["api_key"]
    cached_on(b, old)
    rolled = httpx.post(f"{a.url}/api/v1/platform-keys/{key['id']}/roll/", json={"grace_seconds": 2}, headers=headers)
    assert rolled.status_code == 200
    ends = datetime.strptime(rolled.json()["grace_ends_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    new = rolled.json()["api_key"]
    assert ping(b, old) == 200 and ping(b, new) == 200  # both, during the grace
    refused_within(b, old, 4.0)
    # Not before the grace ended (whole seconds in the answer: allow the fraction).
    assert datetime.now(UTC) >= ends - timedelta(seconds=1)
    for server in (a, b):
        assert ping(server, old) == 403 and ping(server, new) == 200


def test_a_scope_removed_through_a_is_enforced_by_b_on_the_next_request(pair):
    a, b = pair
    headers = owner(a, "narrows")
    key = create(a, headers)
    cached_on(b, key["api_key"])
    assert funds(b, key["api_key"]).status_code == 200
    patch(a, headers, key["id"], scopes=["read:market"])
    started = time.monotonic()
    while (answer := funds(b, key["api_key"])).status_code == 200:
        assert time.monotonic() - started < 1.0, "B still let the key read funds"
        time.sleep(0.005)
    assert answer.status_code == 403
    assert answer.json() == {"status": "error", "message": "This API key lacks the read:account scope"}
    assert ping(b, key["api_key"]) == 200  # still a valid key


def test_a_key_expiring_is_refused_by_b_saying_it_expired(pair):
    a, b = pair
    headers = owner(a, "expires")
    key = create(a, headers)
    cached_on(b, key["api_key"])
    patch(a, headers, key["id"], expires_at=(datetime.now(UTC) + timedelta(seconds=2)).isoformat())
    assert funds(b, key["api_key"]).status_code == 200  # not yet
    refused_within(b, key["api_key"], 4.0)
    answer = funds(b, key["api_key"])
    assert answer.json()["message"].startswith("This API key expired on ")


def test_an_allowlist_set_through_a_refuses_other_addresses_in_b_at_once(pair):
    a, b = pair
    headers = owner(a, "allowlists")
    key = create(a, headers)
    cached_on(b, key["api_key"])
    patch(a, headers, key["id"], allowed_ips=["203.0.113.0/24", "2001:db8::/32"])
    refused_within(b, key["api_key"], 1.0)
    answer = funds(b, key["api_key"])
    assert answer.json()["message"] == "This API key is not allowed from 127.0.0.1 (IP allowlist)"
    patch(a, headers, key["id"], allowed_ips=["127.0.0.0/8"])
    started = time.monotonic()
    while ping(b, key["api_key"]) != 200:
        assert time.monotonic() - started < 1.0
        time.sleep(0.005)


def test_a_per_key_rate_limit_counts_across_processes(pair):
    a, b = pair
    headers = owner(a, "limited")
    key = create(a, headers, rate_limit="6/min")
    answers = [funds(server, key["api_key"]) for server in (a, b, a, b, a, b, a, b)]
    assert [r.status_code for r in answers] == [200] * 6 + [429] * 2
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert answers[-1].json()["status"] == "error"
