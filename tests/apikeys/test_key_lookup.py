"""apikeys/key_lookup.py: the precompiled lookup answers exactly what the ORM would."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
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
    for name in key_lookup.KEY_COLUMNS[1:]:
        assert getattr(found, name) == getattr(expected, name), name
    assert found.last_used_at.tzinfo is not None
    # The owner: a real model instance (request.user), the columns an API request reads...
    assert found.user == expected.user and not found.user._state.adding and found.user._state.db == "default"
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


def test_while_django_records_queries_the_lookup_is_recorded_like_any_other(platform_key):
    # DEBUG, assertNumQueries and the debug toolbar all read Django's query log.
    with CaptureQueriesContext(connection) as captured:
        assert key_lookup.usable_key_by_digest(digest_of(platform_key)) is not None
    (query,) = captured.captured_queries
    assert "lookup_digest" in query["sql"] and digest_of(platform_key) in query["sql"]


def test_an_execute_wrapper_sees_the_lookup(platform_key):
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert key_lookup.usable_key_by_digest(digest_of(platform_key)) is not None
    assert seen and digest_of(platform_key) in seen[0]


def test_a_database_error_is_djangos_as_from_any_query(platform_key):
    table = PlatformApiKey._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_gone"')
        with pytest.raises(DatabaseError), transaction.atomic():  # django.db's, not the driver's
            key_lookup.usable_key_by_digest(digest_of(platform_key))
        transaction.set_rollback(True)
    assert key_lookup.usable_key_by_digest(digest_of(platform_key)) is not None


def test_in_a_broken_transaction_the_lookup_refuses_as_the_orm_does(platform_key):
    with transaction.atomic():
        transaction.set_rollback(True)  # as a failed query inside atomic leaves it
        with pytest.raises(TransactionManagementError):
            key_lookup.usable_key_by_digest(digest_of(platform_key))
        with pytest.raises(TransactionManagementError):
            PlatformApiKey.objects.count()
