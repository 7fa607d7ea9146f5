"""The platform-key check (apikeys/verification.py): digest, cache, one read, one Argon2."""
from __future__ import annotations

import time
from datetime import timedelta

import argon2
import pytest
from django.utils import timezone

from apikeys import crypto, eviction, key_lookup, services, verification
from apikeys import key_cache as key_cache_module
from apikeys.key_cache import cache as key_cache
from apikeys.models import PlatformApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def argon2_calls(monkeypatch):
    """Count real Argon2 hash/verify calls (they still run; only counted)."""
    calls = {"verify": 0, "hash": 0}
    real_verify, real_hash = argon2.PasswordHasher.verify, argon2.PasswordHasher.hash

    def counting_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return real_verify(self, *args, **kwargs)

    def counting_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return real_hash(self, *args, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(argon2.PasswordHasher, "hash", counting_hash)
    return calls


def test_a_valid_key_verifies_to_its_owner_and_mode(user, platform_key):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    verified = verification.verify(platform_key)
    assert verified.user == user
    assert verified.order_mode == "semi_auto"
    assert verified.key_id == PlatformApiKey.objects.get(user=user).pk


def test_unknown_key_is_rejected_without_argon2(platform_key, argon2_calls, django_assert_max_num_queries):
    unknown = crypto.generate_platform_key()
    with django_assert_max_num_queries(1):
        assert verification.verify(unknown) is None
    assert argon2_calls["verify"] == 0


@pytest.mark.parametrize(
    "presented",
    [None, "", "abc", 42, "z" * 64, "A" * 64, " " * 64, "0" * 63, "0" * 65, b"0" * 64, ["0" * 64], "0" * 10_000],
)
def test_malformed_keys_are_rejected_without_touching_the_database(presented, argon2_calls, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert verification.verify(presented) is None
    assert argon2_calls["verify"] == 0


def test_first_verification_runs_argon2_once_then_the_memo_skips_it(platform_key, argon2_calls):
    assert verification.verify(platform_key) is not None
    assert argon2_calls["verify"] == 1
    for _ in range(5):
        assert verification.verify(platform_key) is not None
    assert argon2_calls["verify"] == 1


def test_regenerated_key_fails_on_the_next_request_even_when_memoised(user, platform_key):
    assert verification.verify(platform_key) is not None
    _, new_key = services.platform_key_regenerate(user=user)
    assert verification.verify(platform_key) is None
    assert verification.verify(new_key).user == user


def test_revoked_key_fails_at_once_even_when_memoised(user, platform_key):
    assert verification.verify(platform_key) is not None
    services.platform_key_revoke(user=user)
    assert verification.verify(platform_key) is None


def test_a_deactivated_user_key_stops_working(user, platform_key):
    user.is_active = False
    user.save()
    assert verification.verify(platform_key) is None


def test_a_tampered_hash_fails_argon2_even_with_the_right_digest(user, platform_key):
    # The row is found by digest, but the stored hash is of another key: Argon2 says no.
    row = PlatformApiKey.objects.get(user=user)
    row.key_hash = crypto.generate_platform_key()
    PlatformApiKey.objects.filter(pk=row.pk).update(key_hash=row.key_hash)
    assert verification.verify(platform_key) is None


def test_last_used_at_is_written_at_most_once_per_interval(user, platform_key, settings, django_assert_num_queries):
    settings.PLATFORM_KEY_LAST_USED_INTERVAL = 60
    verification.verify(platform_key)
    first = PlatformApiKey.objects.get(user=user).last_used_at
    assert first is not None
    with django_assert_num_queries(0):  # a cache hit, and no UPDATE
        verification.verify(platform_key)
    assert PlatformApiKey.objects.get(user=user).last_used_at == first


def test_last_used_at_moves_again_after_the_interval(user, platform_key, settings, monkeypatch):
    settings.PLATFORM_KEY_LAST_USED_INTERVAL = 60
    verification.verify(platform_key)
    first = PlatformApiKey.objects.get(user=user).last_used_at
    later = first + timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    verification.verify(platform_key)
    assert PlatformApiKey.objects.get(user=user).last_used_at == later


def test_changed_argon2_parameters_rehash_the_key_on_next_use(user, platform_key, settings):
    old_hash = PlatformApiKey.objects.get(user=user).key_hash
    assert "t=1" in old_hash
    settings.ARGON2_TIME_COST = 2
    verification.memo.clear()
    assert verification.verify(platform_key) is not None
    new_hash = PlatformApiKey.objects.get(user=user).key_hash
    assert new_hash != old_hash and "t=2" in new_hash
    assert verification.verify(platform_key) is not None


def test_the_memo_is_bounded(settings, make_user):
    settings.PLATFORM_KEY_MEMO_SIZE = 3
    keys = [services.platform_key_regenerate(user=make_user())[1] for _ in range(5)]
    for key in keys:
        assert verification.verify(key) is not None
    assert len(verification.memo) == 3


# --- The cache ----------------------------------------------------------------------------

def test_a_cached_key_costs_no_query_and_no_argon2(platform_key, argon2_calls, django_assert_num_queries):
    assert verification.verify(platform_key) is not None
    with django_assert_num_queries(0):
        for _ in range(3):
            assert verification.verify(platform_key) is not None
    assert argon2_calls["verify"] == 1


def test_each_request_gets_its_own_copy_of_the_owner(user, platform_key):
    first = verification.verify(platform_key).user
    first.username = "changed by a view"
    second = verification.verify(platform_key).user
    assert second.username == user.username and second is not first


def test_fields_the_check_does_not_load_still_read_from_the_database(user, platform_key):
    verification.verify(platform_key)
    cached = verification.verify(platform_key).user
    assert cached.email == user.email and cached.date_joined == user.date_joined


def test_a_mode_change_evicts_and_the_next_check_reads_it_without_argon2(user, platform_key, argon2_calls):
    assert verification.verify(platform_key).order_mode == "auto"
    services.platform_key_set_mode(user=user, mode="semi_auto")
    assert verification.verify(platform_key).order_mode == "semi_auto"
    assert argon2_calls["verify"] == 1  # the memo knows this stored hash


def test_a_user_deactivated_through_save_is_refused_though_cached(user, platform_key):
    assert verification.verify(platform_key) is not None
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert verification.verify(platform_key) is None


def test_a_deleted_user_is_refused_though_cached(user, platform_key):
    assert verification.verify(platform_key) is not None
    user.delete()
    assert verification.verify(platform_key) is None


def test_a_sign_in_does_not_evict(user, platform_key, django_assert_num_queries):
    verification.verify(platform_key)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    with django_assert_num_queries(0):
        assert verification.verify(platform_key) is not None


def test_an_entry_is_trusted_no_longer_than_its_age_limit(user, platform_key, settings, monkeypatch):
    # A change that evicts nothing (a bulk update, SQL by hand) is seen once the entry is old.
    settings.PLATFORM_KEY_CACHE_SECONDS = 60
    assert verification.verify(platform_key) is not None
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert verification.verify(platform_key) is not None  # cached: nothing told this process
    later = time.monotonic() + 61
    monkeypatch.setattr(key_cache_module.time, "monotonic", lambda: later)
    assert verification.verify(platform_key) is None


def test_a_zero_age_limit_reads_the_row_on_every_check(platform_key, settings, django_assert_num_queries):
    settings.PLATFORM_KEY_CACHE_SECONDS = 0
    verification.verify(platform_key)
    with django_assert_num_queries(1):
        assert verification.verify(platform_key) is not None


def test_a_check_that_read_the_row_before_a_revocation_does_not_cache_it(user, platform_key, monkeypatch):
    # The revocation commits while this check is between its read and its cache fill
    # (in a server: another thread, or Argon2's 150 ms): the answer for this one request
    # may be the old one, the next must not be.
    real_lookup = key_lookup.usable_key_by_digest

    def read_then_revoked(digest):
        row = real_lookup(digest)
        services.platform_key_revoke(user=user)
        return row

    monkeypatch.setattr(key_lookup, "usable_key_by_digest", read_then_revoked)
    assert verification.verify(platform_key) is not None
    monkeypatch.setattr(key_lookup, "usable_key_by_digest", real_lookup)
    assert verification.verify(platform_key) is None


def test_the_cache_is_bounded(settings, make_user):
    settings.PLATFORM_KEY_CACHE_SIZE = 3
    keys = [services.platform_key_regenerate(user=make_user())[1] for _ in range(5)]
    for key in keys:
        assert verification.verify(key) is not None
    assert len(key_cache) == 3


def test_without_a_live_eviction_feed_every_check_reads_the_database(platform_key, settings, django_assert_num_queries):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: the feed never comes up
    try:
        assert verification.verify(platform_key) is not None  # the first one also records last use
        for _ in range(3):
            with django_assert_num_queries(1):
                assert verification.verify(platform_key) is not None
        assert len(key_cache) == 0
    finally:
        eviction.feed.stop()
