"""A key's IP allowlist (addresses and networks, IPv4 and IPv6, behind NUM_PROXIES) and
its own rate limit, over HTTP."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def create(api, **fields) -> dict:
    answer = api.post("/api/v1/platform-keys/", {"name": "bot", **fields}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def funds(anon, key: str, ip: str = "127.0.0.1", **meta):
    return anon.post("/api/v1/funds", {"apikey": key}, format="json", REMOTE_ADDR=ip, **meta)


def test_only_listed_addresses_and_networks_are_accepted(api, anon):
    key = create(api, allowed_ips=["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"])["api_key"]
    for ip in ("10.1.2.3", "192.0.2.7", "2001:db8::5", "::ffff:10.9.9.9"):
        assert funds(anon, key, ip).status_code == 200, ip
    for ip in ("192.0.2.8", "11.0.0.1", "2001:db9::1"):
        refused = funds(anon, key, ip)
        assert refused.status_code == 403
        assert refused.json() == {"status": "error", "message": f"This API key is not allowed from {ip} (IP allowlist)"}


def test_entries_are_stored_in_canonical_form(api):
    body = create(api, allowed_ips=["10.0.0.5/24", "2001:DB8::1", " 192.0.2.1 ", "10.0.0.0/24"])
    assert body["allowed_ips"] == ["10.0.0.0/24", "2001:db8::1", "192.0.2.1"]


def test_an_ipv4_mapped_entry_means_its_ipv4_address(api, anon):
    """Client addresses are compared as IPv4 when mapped (``::ffff:10.9.9.9``), so an entry
    written that way is stored as the IPv4 address or network it means, and matches."""
    body = create(api, allowed_ips=["::ffff:192.0.2.7", "::ffff:10.0.0.0/104"])
    assert body["allowed_ips"] == ["192.0.2.7", "10.0.0.0/8"]
    for ip in ("192.0.2.7", "::ffff:192.0.2.7", "10.1.2.3"):
        assert funds(anon, body["api_key"], ip).status_code == 200, ip
    assert funds(anon, body["api_key"], "192.0.2.8").status_code == 403


def test_an_empty_allowlist_accepts_any_address(api, anon):
    body = create(api, allowed_ips=["10.0.0.0/8"])
    api.patch(f"/api/v1/platform-keys/{body['id']}", {"allowed_ips": []}, format="json")
    assert funds(anon, body["api_key"], "203.0.113.1").status_code == 200


def test_behind_a_proxy_the_address_is_the_one_the_throttles_see(api, anon, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    key = create(api, allowed_ips=["198.51.100.0/24"])["api_key"]
    assert funds(anon, key, "10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200
    # A client cannot claim an allowed address by adding its own X-Forwarded-For entry.
    spoofed = funds(anon, key, "10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    assert spoofed.status_code == 403 and "203.0.113.9" in spoofed.json()["message"]


def test_a_genuine_key_refused_for_its_address_does_not_count_as_a_bad_key(api, anon, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "invalid_apikey": "2/min"}}
    key = create(api, allowed_ips=["10.0.0.0/8"])["api_key"]
    for _ in range(4):
        assert funds(anon, key, "203.0.113.1").status_code == 403
    open_key = create(api, name="open")["api_key"]
    assert funds(anon, open_key, "203.0.113.1").status_code == 200


def test_past_its_rate_a_key_gets_429_with_retry_after(api, anon):
    limited = create(api, rate_limit="3/min")["api_key"]
    other = create(api, name="other")["api_key"]
    assert [funds(anon, limited).status_code for _ in range(3)] == [200, 200, 200]
    refused = funds(anon, limited)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["status"] == "error" and "rate limit" in refused.json()["message"]
    assert funds(anon, other).status_code == 200  # per key, not per user or address


def test_raising_the_rate_takes_effect_at_once(api, anon):
    body = create(api, rate_limit="1/min")
    funds(anon, body["api_key"])
    assert funds(anon, body["api_key"]).status_code == 429
    api.patch(f"/api/v1/platform-keys/{body['id']}", {"rate_limit": "100/min"}, format="json")
    assert funds(anon, body["api_key"]).status_code == 200
    api.patch(f"/api/v1/platform-keys/{body['id']}", {"rate_limit": ""}, format="json")
    assert all(funds(anon, body["api_key"]).status_code == 200 for _ in range(5))


@pytest.mark.parametrize("rate", ["10/s", "600/min", "10000/hour", "100000/day", "5/second"])
def test_rates_in_drfs_notation_are_accepted(api, rate):
    assert create(api, rate_limit=rate)["rate_limit"] == rate


# --- the lease of request numbers (apikeys/key_rate.py) -------------------------------------

def test_a_window_never_admits_more_than_the_limit_however_many_processes_claim():
    from apikeys import key_rate

    rate, now = (100, 60), 6000.0  # batch 5
    admitted = 0
    for _ in range(200):
        key_rate.forget()  # every request from a "new process": each claims 5 numbers, uses 1
        admitted += key_rate.wait_for(1, rate, now=now) is None
    assert admitted == 20  # under-admission, bounded by the batch; never over the limit
    key_rate.forget()
    assert key_rate.wait_for(2, rate, now=now) is None


def test_one_process_gets_exactly_the_limit_and_a_new_window_starts_again():
    from apikeys import key_rate

    rate, now = (1000, 60), 6000.0  # batch 50: one shared increment per 50 requests
    answers = [key_rate.wait_for(3, rate, now=now) for _ in range(1001)]
    assert answers[:1000] == [None] * 1000 and answers[1000] == 60
    assert key_rate.wait_for(3, rate, now=now + 60) is None
    assert key_rate.batch_for(10) == 1 and key_rate.batch_for(1000) == 50 and key_rate.batch_for(10**8) == 50
