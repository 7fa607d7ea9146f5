"""Platform-key authentication over HTTP (apikeys/authentication.py): where the key
travels, the exact OpenAlgo refusal, the bad-key throttle, and what a bad key costs."""
from __future__ import annotations

import ipaddress
import json
from datetime import timedelta

import argon2
import pytest
from django.utils import timezone

from apikeys import crypto, services
from apikeys.models import PlatformApiKey
from tests.trading.support import order_body

pytestmark = pytest.mark.django_db

INVALID = {"status": "error", "message": "Invalid openalgo apikey"}


@pytest.fixture
def argon2_verifies(monkeypatch):
    """Count real Argon2 verifications (they still run)."""
    calls = {"n": 0}
    real = argon2.PasswordHasher.verify

    def counting(self, *args, **kwargs):
        calls["n"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


@pytest.fixture
def invalid_key_rate(settings):
    def set_rate(rate: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "invalid_apikey": rate},
        }

    return set_rate


def test_key_in_the_json_body_authenticates(anon, platform_key):
    response = anon.post("/api/v1/ping", {"apikey": platform_key}, format="json")
    assert response.status_code == 200
    assert response.json() == {"status": "success", "data": {"message": "pong", "broker": "sandbox"}}


def test_key_in_the_query_string_authenticates(anon, platform_key):
    assert anon.get(f"/api/v1/ping?apikey={platform_key}").status_code == 200
    assert anon.post(f"/api/v1/ping/?apikey={platform_key}").status_code == 200


def test_key_in_the_x_api_key_header_authenticates(anon, platform_key):
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 200
    assert anon.post("/api/v1/ping", {}, format="json", HTTP_X_API_KEY=platform_key).status_code == 200


def test_surrounding_whitespace_from_a_copy_paste_is_forgiven(anon, platform_key):
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=f" {platform_key}\n").status_code == 200


def test_an_empty_body_key_falls_through_to_the_header(anon, platform_key):
    response = anon.post("/api/v1/ping", {"apikey": ""}, format="json", HTTP_X_API_KEY=platform_key)
    assert response.status_code == 200


def test_the_body_comes_first_then_the_query_string_then_the_header(anon, platform_key):
    bad = "0" * 64  # where it is read, the answer is 403
    body = json.dumps({"apikey": platform_key})
    assert anon.post(f"/api/v1/ping?apikey={bad}", body, content_type="application/json",
                     HTTP_X_API_KEY=bad).status_code == 200
    # A GET may carry a body too (some HTTP libraries send one): it is read like a POST's.
    assert anon.generic("GET", f"/api/v1/ping?apikey={bad}", body, content_type="application/json",
                        HTTP_X_API_KEY=bad).status_code == 200
    assert anon.get(f"/api/v1/ping?apikey={platform_key}", HTTP_X_API_KEY=bad).status_code == 200
    assert anon.get(f"/api/v1/ping?apikey={bad}", HTTP_X_API_KEY=platform_key).status_code == 403


@pytest.mark.parametrize("bad", ["0" * 64, "not-a-key", "A" * 64, 12345, ["x"], {"k": "v"}, "f" * 10_000])
def test_a_bad_key_gets_exactly_openalgos_403(anon, platform_key, bad):
    response = anon.post("/api/v1/ping", {"apikey": bad}, format="json")
    assert response.status_code == 403
    assert response.json() == INVALID


def test_a_revoked_key_is_refused_on_the_next_request(anon, user, platform_key):
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 200
    services.platform_key_revoke(user=user)
    response = anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key)
    assert response.status_code == 403 and response.json() == INVALID


def test_a_missing_key_says_where_to_put_one(anon):
    response = anon.post("/api/v1/ping", {}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["status"] == "error"
    assert "apikey" in body["message"] and "X-API-KEY" in body["message"]


def test_an_unknown_key_costs_no_argon2_call(anon, platform_key, argon2_verifies, django_assert_max_num_queries):
    unknown = crypto.generate_platform_key()
    with django_assert_max_num_queries(1):
        assert anon.post("/api/v1/ping", {"apikey": unknown}, format="json").status_code == 403
    assert argon2_verifies["n"] == 0
    # The real key pays one Argon2 verification, then the memo serves it.
    for _ in range(3):
        assert anon.post("/api/v1/ping", {"apikey": platform_key}, format="json").status_code == 200
    assert argon2_verifies["n"] == 1


def test_bad_keys_from_one_address_are_throttled_at_the_threshold(anon, invalid_key_rate):
    invalid_key_rate("3/min")
    for _ in range(3):
        assert anon.post("/api/v1/ping", {"apikey": "0" * 64}, format="json").status_code == 403
    throttled = anon.post("/api/v1/ping", {"apikey": "0" * 64}, format="json")
    assert throttled.status_code == 429
    assert throttled.json()["status"] == "error"
    assert "Too many invalid API keys" in throttled.json()["message"]
    assert 1 <= int(throttled["Retry-After"]) <= 60


def test_a_throttled_address_is_refused_even_with_the_right_key(anon, platform_key, invalid_key_rate, argon2_verifies):
    """Otherwise a guesser would still learn which guess was right."""
    invalid_key_rate("2/min")
    for _ in range(2):
        anon.get("/api/v1/ping", HTTP_X_API_KEY="1" * 64)
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 429
    assert argon2_verifies["n"] == 0


TRADINGVIEW = "52.89.214.238"  # one of the four addresses TradingView sends webhooks from


def _over_the_limit(anon, address: str, **extra) -> None:
    for digit in "567":
        anon.get("/api/v1/ping", HTTP_X_API_KEY=digit * 64, REMOTE_ADDR=address, **extra)


def test_from_a_shared_source_past_the_limit_a_good_key_passes_and_bad_keys_still_get_429(
    anon, platform_key, invalid_key_rate, settings, argon2_verifies
):
    """One user's mis-keyed TradingView alerts must not stop every other user's."""
    settings.INVALID_APIKEY_SHARED_SOURCES = (ipaddress.ip_network(TRADINGVIEW),)
    invalid_key_rate("2/min")
    _over_the_limit(anon, TRADINGVIEW)
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, REMOTE_ADDR=TRADINGVIEW).status_code == 200
    order = anon.post("/api/v1/placeorder", order_body(platform_key), format="json", REMOTE_ADDR=TRADINGVIEW)
    assert order.status_code == 200 and order.json()["status"] == "success"
    verifies = argon2_verifies["n"]
    refused = anon.get("/api/v1/ping", HTTP_X_API_KEY="8" * 64, REMOTE_ADDR=TRADINGVIEW)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert argon2_verifies["n"] == verifies  # an unknown key still costs no Argon2
    # Any other address past the limit: even the good key waits, as before.
    _over_the_limit(anon, "203.0.113.9")
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, REMOTE_ADDR="203.0.113.9").status_code == 429


@pytest.mark.parametrize(
    "sources, address, passes",
    [
        ("10.0.0.0/8", "10.20.30.40", True),
        ("10.0.0.0/8", "11.0.0.1", False),
        ("2001:db8::/32", "2001:db8::7", True),
        (TRADINGVIEW, f"::ffff:{TRADINGVIEW}", True),  # an IPv4 client on a dual-stack socket
        (TRADINGVIEW, "52.89.214.239", False),
    ],
)
def test_shared_sources_are_addresses_or_networks(anon, platform_key, invalid_key_rate, settings, sources, address, passes):
    settings.INVALID_APIKEY_SHARED_SOURCES = (ipaddress.ip_network(sources),)
    invalid_key_rate("2/min")
    _over_the_limit(anon, address)
    status = anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, REMOTE_ADDR=address).status_code
    assert status == (200 if passes else 429)


def test_shared_sources_written_as_strings_in_a_settings_module_work(anon, platform_key, invalid_key_rate, settings):
    settings.INVALID_APIKEY_SHARED_SOURCES = [TRADINGVIEW, "10.0.0.0/8"]  # not parsed by config.env
    invalid_key_rate("2/min")
    for address, status in ((TRADINGVIEW, 200), ("10.1.2.3", 200), ("203.0.113.9", 429)):
        _over_the_limit(anon, address)
        assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, REMOTE_ADDR=address).status_code == status


def test_shared_sources_written_as_one_string_in_a_settings_module_work(anon, platform_key, invalid_key_rate, settings):
    settings.INVALID_APIKEY_SHARED_SOURCES = f"{TRADINGVIEW}, 10.0.0.0/8"  # as .env would say it
    invalid_key_rate("2/min")
    for address, status in ((TRADINGVIEW, 200), ("10.1.2.3", 200), ("203.0.113.9", 429)):
        _over_the_limit(anon, address)
        assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, REMOTE_ADDR=address).status_code == status


@pytest.mark.parametrize("sources", [[TRADINGVIEW, "tradingview.com"], 42])
def test_unreadable_shared_sources_share_nothing_and_are_reported(
    anon, platform_key, invalid_key_rate, settings, caplog, sources
):
    """A settings-module typo must not turn every blocked request into a 500: the address
    waits as any other would, the log says why, and the system check names the setting."""
    from django.core import checks

    settings.INVALID_APIKEY_SHARED_SOURCES = sources
    invalid_key_rate("2/min")
    _over_the_limit(anon, TRADINGVIEW)
    with caplog.at_level("ERROR", logger="apikeys.authentication"):
        refused = anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, REMOTE_ADDR=TRADINGVIEW)
    assert refused.status_code == 429 and refused.json()["status"] == "error"
    assert "INVALID_APIKEY_SHARED_SOURCES" in caplog.text
    assert [error.id for error in checks.run_checks(tags=[checks.Tags.security]) if error.id.startswith("apikeys.")] == [
        "apikeys.E001"
    ]


def test_readable_shared_sources_pass_the_system_check(settings):
    from django.core import checks

    settings.INVALID_APIKEY_SHARED_SOURCES = [TRADINGVIEW, ipaddress.ip_network("10.0.0.0/8")]
    assert not [error for error in checks.run_checks(tags=[checks.Tags.security]) if error.id.startswith("apikeys.")]


def test_behind_a_proxy_the_shared_source_is_the_forwarded_client(anon, platform_key, invalid_key_rate, settings):
    settings.INVALID_APIKEY_SHARED_SOURCES = (ipaddress.ip_network(TRADINGVIEW),)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    invalid_key_rate("2/min")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for sender, forwarded in (("TradingView", TRADINGVIEW), ("someone else", "198.51.100.20")):
        _over_the_limit(anon, proxy["REMOTE_ADDR"], HTTP_X_FORWARDED_FOR=forwarded)
        good = anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, HTTP_X_FORWARDED_FOR=forwarded, **proxy)
        assert good.status_code == (200 if sender == "TradingView" else 429), sender
    # A forwarded value that is no address never counts as a shared source.
    _over_the_limit(anon, proxy["REMOTE_ADDR"], HTTP_X_FORWARDED_FOR="tradingview.com")
    good = anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, HTTP_X_FORWARDED_FOR="tradingview.com", **proxy)
    assert good.status_code == 429


def test_the_throttle_counts_per_client_address(anon, platform_key, invalid_key_rate):
    invalid_key_rate("2/min")
    for _ in range(3):
        anon.get("/api/v1/ping", HTTP_X_API_KEY="1" * 64, REMOTE_ADDR="203.0.113.7")
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY="1" * 64, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_good_keys_and_missing_keys_do_not_count_towards_the_throttle(anon, platform_key, invalid_key_rate):
    invalid_key_rate("2/min")
    for _ in range(5):
        assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 200
        assert anon.get("/api/v1/ping").status_code == 403
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY="2" * 64).status_code == 403


def test_the_throttle_window_passes(anon, platform_key, invalid_key_rate, monkeypatch):
    import time as time_module

    invalid_key_rate("1/min")
    anon.get("/api/v1/ping", HTTP_X_API_KEY="3" * 64)
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 429
    later = time_module.time() + 61
    monkeypatch.setattr("apikeys.authentication.time.time", lambda: later)
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 200


@pytest.fixture
def clock(monkeypatch):
    """The throttle's wall clock, held 5 s into a minute window and moved by hand."""
    import time as time_module

    now = {"t": (time_module.time() // 60) * 60 + 5}
    monkeypatch.setattr("apikeys.authentication.time.time", lambda: now["t"])
    return now


def _another_process_counts(failures: int, ident: str = "127.0.0.1") -> None:
    """What a second server process does with the shared cache: its own counter object."""
    from apikeys.authentication import InvalidKeyCounter

    other = InvalidKeyCounter()
    for _ in range(failures):
        other.record_failure(ident)


@pytest.fixture
def blocked_elsewhere(anon, platform_key, invalid_key_rate, settings):
    """This process serves a good key (so it holds a count of 0 for the address), then
    another process counts the address up to the 3/min limit."""

    def block(recheck_seconds: float) -> None:
        settings.INVALID_APIKEY_RECHECK_SECONDS = recheck_seconds
        invalid_key_rate("3/min")
        assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 200
        _another_process_counts(3)

    return block


def test_a_block_made_by_another_process_reaches_a_good_key_within_the_recheck_interval(
    anon, platform_key, blocked_elsewhere, clock
):
    blocked_elsewhere(1.0)
    clock["t"] += 0.5  # this process's last look at the count is half a second old
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 200
    clock["t"] += 0.6
    refused = anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key)
    assert refused.status_code == 429 and "Too many invalid API keys" in refused.json()["message"]


def test_a_bad_key_past_the_shared_limit_gets_429_however_stale_this_process_is(
    anon, platform_key, blocked_elsewhere, clock
):
    blocked_elsewhere(60.0)
    throttled = anon.get("/api/v1/ping", HTTP_X_API_KEY="4" * 64)
    assert throttled.status_code == 429 and 1 <= int(throttled["Retry-After"]) <= 55
    # ...and that count is now this process's view too: the good key waits as well.
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 429


def test_with_a_recheck_interval_of_zero_every_request_reads_the_shared_count(
    anon, platform_key, blocked_elsewhere, clock
):
    blocked_elsewhere(0)
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 429


def test_a_clock_set_back_makes_the_count_read_again(anon, platform_key, blocked_elsewhere, clock):
    clock["t"] += 30
    blocked_elsewhere(1.0)
    clock["t"] -= 10  # same window, but "seen in the future": not trusted
    assert anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key).status_code == 429


def test_the_remembered_counts_are_bounded_and_keep_the_newest():
    from apikeys.authentication import InvalidKeyCounter

    counter = InvalidKeyCounter(remembered=10)
    for n in range(25):
        counter.record_failure(f"198.51.100.{n}")
    assert len(counter._seen) <= 10
    assert "198.51.100.24" in counter._seen and "198.51.100.0" not in counter._seen


def test_last_used_at_is_written_at_most_once_a_minute(anon, user, platform_key, settings):
    settings.PLATFORM_KEY_LAST_USED_INTERVAL = 60
    anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key)
    first = PlatformApiKey.objects.get(user=user).last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)
    for _ in range(3):
        anon.get("/api/v1/ping", HTTP_X_API_KEY=platform_key)
    assert PlatformApiKey.objects.get(user=user).last_used_at == first


def test_the_key_never_appears_in_the_log(anon, platform_key, caplog):
    caplog.set_level("DEBUG")
    anon.get(f"/api/v1/ping?apikey={platform_key[:-1]}0")
    anon.post("/api/v1/ping", {"apikey": platform_key}, format="json")
    assert platform_key[:-1] not in caplog.text
