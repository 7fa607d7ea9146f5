"""apikeys/key_lookup.py: the precompiled lookup answers exactly what the ORM would."""
from __future__ import annotations

import pytest
from django.utils import timezone

from apikeys import crypto, key_lookup, services
from apikeys.models import PlatformApiKey

pytestmark = pytest.mark.django_db


def digest_of(key: str) -> str:
    return crypto.lookup_digest(key, crypto.peppers()[0])


def test_the_row_and_its_owner_match_the_orm_field_for_field(user, platform_key):
    PlatformApiKey.objects.filter(user=user).update(last_used_at=timezone.now())
    found = key_lookup.usable_key_by_digest(digest_of(platform_key))
    assert found.get_deferred_fields() == set(key_lookup.NOT_READ_BY_VERIFY)  # not selected...
    expected = PlatformApiKey.objects.select_related("user").get(user=user)
    for field in PlatformApiKey._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for field in type(user)._meta.concrete_fields:
        assert getattr(found.user, field.attname) == getattr(expected.user, field.attname), field.name
    assert found.last_used_at.tzinfo is not None and found.reveal() == platform_key  # ...but loaded when read
    assert not found._state.adding and found._state.db == "default"


def test_unknown_revoked_and_inactive_owners_find_nothing(user, platform_key):
    assert key_lookup.usable_key_by_digest(digest_of("a" * 64)) is None
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert key_lookup.usable_key_by_digest(digest_of(platform_key)) is None
    type(user).objects.filter(pk=user.pk).update(is_active=True)
    services.platform_key_revoke(user=user)
    assert key_lookup.usable_key_by_digest(digest_of(platform_key)) is None


def test_a_saved_row_from_the_lookup_updates_in_place(user, platform_key):
    found = key_lookup.usable_key_by_digest(digest_of(platform_key))
    found.order_mode = "semi_auto"
    found.save(update_fields=["order_mode"])
    assert PlatformApiKey.objects.count() == 1
    assert PlatformApiKey.objects.get(user=user).order_mode == "semi_auto"
