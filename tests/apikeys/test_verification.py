"""The three-level platform-key check (apikeys/verification.py)."""
from __future__ import annotations

from datetime import timedelta

import argon2
import pytest
from django.utils import timezone

from apikeys import crypto, services, verification
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
    with django_assert_num_queries(1):  # the lookup only: no UPDATE
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
