"""apikeys/vault.py: the services and selectors behind the API, the admin and the agents,
and the database rules they stand on."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apikeys import vault
from apikeys.models import ServiceApiKey

pytestmark = pytest.mark.usefixtures("quick_passwords")


def make(user, key_type="news_api", api_key="a-service-key-123", name="k") -> ServiceApiKey:
    return vault.service_key_create(user=user, key_type=key_type, api_key=api_key, key_name=name)


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_active_key_of_a_type(user):
    make(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceApiKey.objects.create(user=user, key_type="news_api", key_name="sneaky", key_encrypted="x-123456")
    # inactive duplicates are fine: that is how old keys are kept
    ServiceApiKey.objects.create(user=user, key_type="news_api", key_name="old", key_encrypted="x-123456",
                                 is_active=False)


@pytest.mark.django_db
def test_the_database_refuses_a_deleted_key_that_is_still_active(user):
    key = make(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceApiKey.objects.filter(pk=key.pk).update(deleted_at=timezone.now())


@pytest.mark.django_db
def test_create_turns_the_constraint_into_duplicate_active_key(user, other_user):
    make(user)
    with pytest.raises(vault.DuplicateActiveKey, match="API key for this service type already exists"):
        make(user, api_key="second-key-456")
    make(other_user)  # per user
    assert ServiceApiKey.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_racing_creates_leave_exactly_one_active_key(user):
    """Many requests at once, as a double-clicked button or a retrying client sends them."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database does not take concurrent writers from threads")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def create(n: int) -> None:
        barrier.wait()
        try:
            make(user, api_key=f"racing-key-{n:04d}")
            outcomes.append("created")
        except vault.DuplicateActiveKey:
            outcomes.append("duplicate")
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 5
    assert ServiceApiKey.objects.filter(user=user, is_active=True).count() == 1


@pytest.mark.django_db
def test_update_sets_updated_at_and_keeps_the_secret(user):
    key = make(user)
    token = ServiceApiKey.objects.filter(pk=key.pk).values_list("key_encrypted", flat=True).get()
    assert key.updated_at is None
    vault.service_key_update(key=key, key_name="renamed")
    row = ServiceApiKey.objects.get(pk=key.pk)
    assert row.key_name == "renamed" and row.updated_at is not None and row.is_active is True
    assert ServiceApiKey.objects.filter(pk=key.pk).values_list("key_encrypted", flat=True).get() == token


@pytest.mark.django_db
def test_a_refused_reactivation_leaves_the_object_as_stored(user):
    old = make(user)
    vault.service_key_update(key=old, is_active=False)
    make(user, api_key="newer-key-789")
    with pytest.raises(vault.DuplicateActiveKey):
        vault.service_key_update(key=old, is_active=True, key_name="again")
    assert (old.is_active, old.key_name) == (False, "k")


@pytest.mark.django_db
def test_soft_delete_and_restore(user):
    key = make(user)
    assert vault.service_key_soft_delete(key=key) is True
    assert vault.service_key_soft_delete(key=key) is False
    assert vault.service_key_get(user=user, key_id=key.pk) == key  # its owner can still see it
    assert vault.service_key_get_active(user=user, key_type="news_api") is None
    assert vault.service_key_restore(key=key) is True
    assert vault.service_key_restore(key=key) is False
    assert vault.service_key_get_active(user=user, key_type="news_api") == key


@pytest.mark.django_db
def test_activating_a_deleted_key_restores_it(user):
    key = make(user)
    vault.service_key_soft_delete(key=key)
    vault.service_key_update(key=key, is_active=True)
    row = ServiceApiKey.objects.get(pk=key.pk)
    assert row.is_active is True and row.deleted_at is None
    assert vault.service_key_get_active(user=user, key_type="news_api") == key


@pytest.mark.django_db
def test_activating_a_deleted_key_is_refused_while_another_of_its_type_is_active(user):
    key = make(user)
    vault.service_key_soft_delete(key=key)
    deleted_at = ServiceApiKey.objects.get(pk=key.pk).deleted_at
    make(user, api_key="replacement-key-1")
    with pytest.raises(vault.DuplicateActiveKey):
        vault.service_key_update(key=key, is_active=True)
    row = ServiceApiKey.objects.get(pk=key.pk)
    assert (row.is_active, row.deleted_at) == (False, deleted_at)
    assert (key.is_active, key.deleted_at) == (False, deleted_at)


@pytest.mark.django_db
def test_restore_refuses_when_another_key_of_the_type_is_active(user):
    key = make(user)
    vault.service_key_soft_delete(key=key)
    make(user, api_key="replacement-key-1")
    with pytest.raises(vault.DuplicateActiveKey):
        vault.service_key_restore(key=key)
    row = ServiceApiKey.objects.get(pk=key.pk)
    assert row.deleted_at is not None and row.is_active is False
    assert key.deleted_at is not None and key.is_active is False


@pytest.mark.django_db
def test_mark_used_writes_at_most_once_a_minute_across_copies_of_the_row(user, monkeypatch):
    key = make(user)
    start = timezone.now()
    clock = {"now": start}
    monkeypatch.setattr(vault.timezone, "now", lambda: clock["now"])
    assert vault.service_key_mark_used(key=key) is True
    assert ServiceApiKey.objects.get(pk=key.pk).last_used_at == start
    clock["now"] = start + timedelta(seconds=30)
    assert vault.service_key_mark_used(key=key) is False
    stale_copy = ServiceApiKey.objects.get(pk=key.pk)
    stale_copy.last_used_at = None  # another process's copy that has not seen the write
    assert vault.service_key_mark_used(key=stale_copy) is False
    clock["now"] = start + timedelta(seconds=61)
    assert vault.service_key_mark_used(key=key) is True
    assert ServiceApiKey.objects.get(pk=key.pk).last_used_at == start + timedelta(seconds=61)


@pytest.mark.django_db
def test_last_used_shows_in_the_api(user, api):
    key = make(user)
    vault.service_key_mark_used(key=key)
    assert api.get(f"/api/v1/api-keys/{key.pk}").json()["last_used_at"].endswith("Z")


@pytest.mark.django_db
def test_repr_and_str_never_hold_the_key(user):
    key = make(user, api_key="very-secret-value-42")
    fresh = ServiceApiKey.objects.get(pk=key.pk)
    for obj in (key, fresh):
        assert "very-secret-value-42" not in repr(obj) + str(obj)
        assert "gAAAAA" not in repr(obj) + str(obj)
    assert fresh.reveal() == "very-secret-value-42"
    assert fresh.masked_key == "****e-42"


@pytest.mark.django_db
def test_list_selector_is_newest_first_and_lists_deleted_keys_as_inactive(user):
    first = make(user, "news_api")
    second = make(user, "google_api")
    third = make(user, "general")
    vault.service_key_update(key=second, is_active=False)
    vault.service_key_soft_delete(key=third)
    assert list(vault.service_key_list(user=user)) == [first]
    assert list(vault.service_key_list(user=user, include_inactive=True)) == [third, second, first]
