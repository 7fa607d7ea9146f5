"""apikeys/key_lookup.py: the one read behind a cache miss."""
from __future__ import annotations

import pytest
from django.utils import timezone

from apikeys import crypto, key_lookup, services
from apikeys.models import PlatformApiKey

pytestmark = pytest.mark.django_db


def digest_of(key: str) -> str:
    return crypto.lookup_digest(key, crypto.current_pepper())


def test_the_row_and_its_owner_match_the_orm(user, platform_key):
    PlatformApiKey.objects.filter(user=user).update(last_used_at=timezone.now())
    found = key_lookup.usable_key_by_digest(digest_of(platform_key))
    expected = PlatformApiKey.objects.select_related("user").get(user=user)
    assert found.key_id == expected.pk
    for name in set(key_lookup.KEY_COLUMNS[1:]) & set(key_lookup.KeyRow._fields):
        assert getattr(found, name) == getattr(expected, name), name
    assert found.valid_until is None and not found.previous_secret  # the current secret matched
    assert found.last_used_at.tzinfo is not None
    # The owner: a real model instance (request.user), the columns an API request reads...
    assert found.user == expected.user
    assert found.user.get_deferred_fields() == {"password", "last_login", "first_name", "last_name", "email", "date_joined"}
    for name in key_lookup.USER_COLUMNS:
        assert getattr(found.user, name) == getattr(expected.user, name), name
    # ...and any other one still there when read (one query), never the password unasked.
    assert found.user.email == expected.user.email and found.user.date_joined == expected.user.date_joined


def test_unknown_revoked_and_inactive_owners_find_nothing(user, platform_key):
    assert key_lookup.usable_key_by_digest(digest_of("a" * 64)) is None
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert key_lookup.usable_key_by_digest(digest_of(platform_key)) is None
    type(user).objects.filter(pk=user.pk).update(is_active=True)
    services.platform_key_revoke(user=user)
    assert key_lookup.usable_key_by_digest(digest_of(platform_key)) is None


def test_a_rolled_out_secret_is_found_until_its_grace_ends(user, platform_key):
    row = services.platform_key_get(user=user)
    services.key_roll(key=row, grace_seconds=60)
    found = key_lookup.usable_key_by_digest(digest_of(platform_key))
    assert found is not None and found.key_id == row.pk and found.previous_secret
    assert found.key_hash == PlatformApiKey.objects.get(pk=row.pk).previous_key_hash
    PlatformApiKey.objects.filter(pk=row.pk).update(previous_valid_until=timezone.now())
    assert key_lookup.usable_key_by_digest(digest_of(platform_key)) is None
