"""Services and selectors of the service key vault (docs/api/vault.md).

Views, admin actions and the agents call these; none of them handles ciphertext (the
encrypted field does) and only ``service_key_test`` and the agents decrypt a key.

A delete is soft: the key becomes inactive and stays listed (``include_inactive``) and
readable by id for its owner, who can bring it back by re-activating it; an operator
can restore it from the admin too. Either way ``deleted_at`` is cleared again.

The "one active key per type" rule is the database's partial unique constraint. Writes
that could break it run in a savepoint and turn the IntegrityError into
``DuplicateActiveKey``, so two racing requests get one 201 and one 400, never two keys.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apikeys import providers
from apikeys.conf import app_settings
from apikeys.models import KeyType, ServiceApiKey

logger = logging.getLogger(__name__)

DUPLICATE_MESSAGE = "API key for this service type already exists"
_UNSET = object()


class DuplicateActiveKey(Exception):
    """The user already has an active key of this type."""

    def __init__(self) -> None:
        super().__init__(DUPLICATE_MESSAGE)


# --- Selectors --------------------------------------------------------------------------

def service_key_list(*, user: AbstractBaseUser, include_inactive: bool = False) -> QuerySet[ServiceApiKey]:
    """The user's keys, newest first: the active ones, or all of them (deleted ones
    included, as inactive) with ``include_inactive``."""
    rows = ServiceApiKey.objects.filter(user=user)
    if not include_inactive:
        rows = rows.active()
    return rows.order_by("-created_at", "-id")


def service_key_get(*, user: AbstractBaseUser, key_id: int) -> ServiceApiKey | None:
    """The user's key ``key_id`` (active, inactive or deleted); None for a missing or foreign one."""
    return ServiceApiKey.objects.filter(user=user, pk=key_id).first()


def service_key_get_active(*, user: AbstractBaseUser, key_type: str) -> ServiceApiKey | None:
    """The user's active key of ``key_type``, for key tests and the agents."""
    return ServiceApiKey.objects.filter(user=user, key_type=key_type).active().first()


# --- Services ---------------------------------------------------------------------------

def _save_guarding_uniqueness(key: ServiceApiKey, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            key.save(**save_kwargs)
    except IntegrityError:
        clash = ServiceApiKey.objects.filter(user_id=key.user_id, key_type=key.key_type, is_active=True)
        if key.pk is not None:
            clash = clash.exclude(pk=key.pk)
        if key.is_active and clash.exists():
            raise DuplicateActiveKey() from None
        raise


def service_key_create(*, user: AbstractBaseUser, key_type: str, api_key: str, key_name: str) -> ServiceApiKey:
    """Store a new active key (encrypted by the field). Raises DuplicateActiveKey."""
    if key_type not in KeyType.values:
        raise ValueError(f"unknown key type {key_type!r}")
    key = ServiceApiKey(user=user, key_type=key_type, key_name=key_name, is_active=True)
    key.key_encrypted = api_key  # type: ignore[assignment]  # a field class to mypy without Django stubs
    _save_guarding_uniqueness(key)
    logger.info("service key %s (%s) created for user %s", key.pk, key_type, user.pk)
    return key


def service_key_update(*, key: ServiceApiKey, key_name=_UNSET, is_active=_UNSET) -> ServiceApiKey:
    """Rename and/or (de)activate. The key value and type never change: store a new key.
    Activating a deleted key restores it (``deleted_at`` cleared).
    Raises DuplicateActiveKey when re-activating would make two active keys of a type."""
    fields = ["updated_at"]
    if key_name is not _UNSET:
        key.key_name = key_name
        fields.append("key_name")
    if is_active is not _UNSET:
        key.is_active = bool(is_active)
        fields.append("is_active")
        if key.is_active and key.deleted_at is not None:
            key.deleted_at = None
            fields.append("deleted_at")
    key.updated_at = timezone.now()
    try:
        _save_guarding_uniqueness(key, update_fields=fields)
    except DuplicateActiveKey:
        key.refresh_from_db(fields=["key_name", "is_active", "deleted_at", "updated_at"])
        raise
    logger.info("service key %s updated (%s)", key.pk, ", ".join(fields[1:]) or "no change")
    return key


def service_key_soft_delete(*, key: ServiceApiKey) -> bool:
    """Deactivate and mark deleted (the owner or an operator can restore). False if
    already deleted."""
    if key.deleted_at is not None:
        return False
    now = timezone.now()
    key.is_active = False
    key.deleted_at = now
    key.updated_at = now
    key.save(update_fields=["is_active", "deleted_at", "updated_at"])
    logger.info("service key %s soft-deleted", key.pk)
    return True


def service_key_restore(*, key: ServiceApiKey) -> bool:
    """Undo a soft delete: the key is active again. False if it was not deleted.
    Raises DuplicateActiveKey when the owner has another active key of that type."""
    if key.deleted_at is None:
        return False
    previous = key.deleted_at
    key.is_active = True
    key.deleted_at = None
    key.updated_at = timezone.now()
    try:
        _save_guarding_uniqueness(key, update_fields=["is_active", "deleted_at", "updated_at"])
    except DuplicateActiveKey:
        key.is_active, key.deleted_at = False, previous
        raise
    logger.info("service key %s restored", key.pk)
    return True


def service_key_test(*, key: ServiceApiKey) -> providers.KeyTestResult:
    """Test the key against its service with a real call and record the outcome.

    Raises UndecryptableSecret (before any call) when FERNET_KEYS cannot open it. The
    outcome is written with an UPDATE of two columns, so a test running while the owner
    renames the key does not undo the rename.
    """
    result = providers.run_key_test(key.key_type, key.reveal())
    key.last_tested_at = result.tested_at
    key.last_test_status = result.status_label
    ServiceApiKey.objects.filter(pk=key.pk).update(
        last_tested_at=key.last_tested_at, last_test_status=key.last_test_status
    )
    return result


def service_key_mark_used(*, key: ServiceApiKey) -> bool:
    """Record that an agent used ``key``: at most one write per interval
    (SERVICE_KEY_LAST_USED_INTERVAL seconds, default 60), however many calls and processes."""
    now = timezone.now()
    interval = timedelta(seconds=app_settings.SERVICE_KEY_LAST_USED_INTERVAL)
    if key.last_used_at is not None and now - key.last_used_at < interval:
        return False
    written = (
        ServiceApiKey.objects.filter(pk=key.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - interval))
        .update(last_used_at=now)
    )
    if written:
        key.last_used_at = now
    return bool(written)
