"""Writes of the credentials domain. Views, admin actions and commands call these.

Platform keys: a user has up to ``PLATFORM_KEYS_PER_USER`` named keys, one of them the
*primary* key that the seed's one-key endpoints (``/api/v1/apikey/``) act on. Every write
locks the row, saves it (the save evicts the key from every process's cache:
``apikeys.signals``) and writes its audit line in the same transaction.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apikeys import audit, crypto, events, key_policy, scopes
from apikeys.conf import app_settings
from apikeys.models import KeyEventAction, OrderMode, PlatformApiKey, PlatformKeyEvent

logger = logging.getLogger(__name__)

MAX_GRACE_SECONDS = 86400
PRIMARY_NAME = "Primary key"
# The same owner revealing the same key from the same address again within this long is
# one audit line, not one per page load.
REVEAL_AUDIT_INTERVAL = timedelta(minutes=10)


class KeyOperationRefused(Exception):
    """A refused key operation, with the HTTP status and the message for the user."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KeyLimitReached(KeyOperationRefused):
    status_code = 409


class KeyRevoked(KeyOperationRefused):
    status_code = 409


@dataclass(frozen=True)
class Actor:
    """Who asks for a change, and from which address (for the audit log)."""

    user: AbstractBaseUser | None = None
    ip: str = ""


# --- reading -----------------------------------------------------------------------------

def keys_of(*, user: AbstractBaseUser):
    """The user's keys, primary first, then newest first."""
    return PlatformApiKey.objects.filter(user=user).order_by("-is_primary", "-created_at", "-id")


def key_of(*, user: AbstractBaseUser, key_id: int) -> PlatformApiKey | None:
    return PlatformApiKey.objects.filter(user=user, pk=key_id).first()


def platform_key_get(*, user: AbstractBaseUser) -> PlatformApiKey | None:
    """The user's primary key row (None until one was generated)."""
    return PlatformApiKey.objects.filter(user=user, is_primary=True).first()


def key_reveal(*, key: PlatformApiKey, actor: Actor = Actor()) -> str | None:
    """The plaintext of ``key`` for its owner (None when revoked); audited."""
    plaintext = key.reveal()
    if plaintext is not None:
        since = timezone.now() - REVEAL_AUDIT_INTERVAL
        seen = PlatformKeyEvent.objects.filter(
            key=key, action=KeyEventAction.REVEALED, ip=actor.ip[:64], at__gte=since,
            actor=actor.user if actor.user is not None and actor.user.is_authenticated else None,
        ).exists()
        if not seen:
            audit.record(key, KeyEventAction.REVEALED, actor=actor.user, ip=actor.ip)
    return plaintext


# --- validation --------------------------------------------------------------------------

def clean_changes(changes: dict, *, primary: bool) -> dict:
    """The settable fields of a key, checked and normalized; KeyOperationRefused names a bad one."""
    cleaned: dict = {}
    for field, value in changes.items():
        if field == "name":
            if not isinstance(value, str) or not value.strip() or len(value.strip()) > 100:
                raise KeyOperationRefused("name must be 1 to 100 characters")
            cleaned["name"] = value.strip()
        elif field == "scopes":
            try:
                cleaned["scopes"] = scopes.normalized(value)
            except ValueError as exc:
                raise KeyOperationRefused(str(exc)) from None
            if primary and cleaned["scopes"] != list(scopes.ALL_SCOPES):
                raise KeyOperationRefused("The primary key always has every scope")
            if not cleaned["scopes"]:
                raise KeyOperationRefused("A key needs at least one scope")
        elif field == "expires_at":
            if value is not None and not isinstance(value, datetime):
                raise KeyOperationRefused("expires_at must be a date-time or null")
            cleaned["expires_at"] = value
        elif field == "allowed_ips":
            if not isinstance(value, (list, tuple)):
                raise KeyOperationRefused("allowed_ips must be a list of IP addresses or CIDR networks")
            try:
                cleaned["allowed_ips"] = key_policy.normalized_allowlist(value)
            except ValueError as exc:
                raise KeyOperationRefused(f"allowed_ips: {exc}") from None
        elif field == "rate_limit":
            value = "" if value is None else value
            try:
                key_policy.parse_rate(value if isinstance(value, str) else "?")
            except ValueError as exc:
                raise KeyOperationRefused(f"rate_limit: {exc}") from None
            cleaned["rate_limit"] = value.strip().replace(" ", "")
        elif field == "order_mode":
            if value not in OrderMode.values:
                raise KeyOperationRefused('order_mode must be "auto" or "semi_auto"')
            cleaned["order_mode"] = value
        else:
            raise KeyOperationRefused(f"{field} cannot be changed")
    return cleaned


_CHANGE_ACTIONS = {
    "name": KeyEventAction.RENAMED,
    "scopes": KeyEventAction.SCOPES_CHANGED,
    "expires_at": KeyEventAction.EXPIRY_CHANGED,
    "allowed_ips": KeyEventAction.ALLOWLIST_CHANGED,
    "rate_limit": KeyEventAction.RATE_LIMIT_CHANGED,
    "order_mode": KeyEventAction.MODE_CHANGED,
}


def _as_json(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.get_fixed_timezone(0)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


# --- writing -----------------------------------------------------------------------------

def _lock_owner(user: AbstractBaseUser) -> None:
    """Serialize key creation per user (the cap and the one primary key)."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def live_key_count(user: AbstractBaseUser) -> int:
    return PlatformApiKey.objects.filter(user=user, revoked_at__isnull=True).exclude(
        is_primary=False, lookup_digest__isnull=True,
    ).count()


def key_create(*, user: AbstractBaseUser, name: str, actor: Actor = Actor(), **settings) -> tuple[PlatformApiKey, str]:
    """A new named key of ``user`` (scopes default to all three). Returns (row, plaintext)."""
    cleaned = clean_changes({"name": name, **settings}, primary=False)
    plaintext = crypto.generate_platform_key()
    with transaction.atomic():
        _lock_owner(user)
        limit = app_settings.PLATFORM_KEYS_PER_USER
        if live_key_count(user) >= limit:
            raise KeyLimitReached(f"You already have {limit} keys, the most allowed: revoke one first")
        row = PlatformApiKey(user=user, is_primary=False, **cleaned)
        row.set_secret(plaintext)
        row.save()
        audit.record(row, KeyEventAction.CREATED, actor=actor.user, ip=actor.ip, detail={
            "name": row.name, "scopes": row.scopes, "expires_at": _as_json(row.expires_at),
            "allowed_ips": row.allowed_ips, "rate_limit": row.rate_limit, "order_mode": row.order_mode,
        })
    logger.info("platform key %s created for user %s", row.pk, user.pk)
    return row, plaintext


def key_update(*, key: PlatformApiKey, changes: dict, actor: Actor = Actor()) -> PlatformApiKey:
    """Change what ``key`` may do; each changed field gets its audit line."""
    with transaction.atomic():
        row = PlatformApiKey.objects.select_for_update().get(pk=key.pk)
        cleaned = clean_changes(changes, primary=row.is_primary)
        # The primary key's settings (its order mode) outlive a revoke: regenerating it
        # gives the same row a new secret.
        if row.is_revoked and not row.is_primary:
            raise KeyRevoked("This key is revoked")
        changed = {f: v for f, v in cleaned.items() if getattr(row, f) != v}
        if not changed:
            return row
        for field, value in changed.items():
            before = getattr(row, field)
            setattr(row, field, value)
            audit.record(row, _CHANGE_ACTIONS[field], actor=actor.user, ip=actor.ip,
                         detail={"from": _as_json(before), "to": _as_json(value)})
        row.save(update_fields=[*changed, "updated_at"])
        if changed.keys() - {"name"}:
            events.platform_key_changed(row.user_id)  # open sockets check what they may still do
    logger.info("platform key %s changed (%s)", row.pk, ", ".join(sorted(changed)))
    return row


def key_roll(*, key: PlatformApiKey, grace_seconds: int = 0, actor: Actor = Actor()) -> tuple[PlatformApiKey, str]:
    """A new secret for ``key``; the old one keeps working for ``grace_seconds`` (0: stops at
    once). Rolling again during a grace ends the earlier grace: only one previous secret."""
    if not isinstance(grace_seconds, int) or isinstance(grace_seconds, bool) or not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise KeyOperationRefused(f"grace_seconds must be a whole number from 0 to {MAX_GRACE_SECONDS}")
    plaintext = crypto.generate_platform_key()
    with transaction.atomic():
        row = PlatformApiKey.objects.select_for_update().get(pk=key.pk)
        if not row.has_key:
            raise KeyRevoked("This key is revoked: create a new one")
        now = timezone.now()
        if grace_seconds:
            row.keep_previous_secret(now + timedelta(seconds=grace_seconds))
        else:
            row.clear_previous_secret()
        row.set_secret(plaintext)
        row.created_at = now
        row.save()
        audit.record(row, KeyEventAction.ROLLED, actor=actor.user, ip=actor.ip, detail={
            "grace_seconds": grace_seconds,
            "previous_valid_until": _as_json(row.previous_valid_until) if grace_seconds else None,
        })
        events.platform_key_changed(row.user_id)
    logger.info("platform key %s rolled (grace %ss)", row.pk, grace_seconds)
    return row, plaintext


def key_revoke(*, key: PlatformApiKey, actor: Actor = Actor()) -> bool:
    """``key`` stops working at once, its rolled-out secret too. False if it was revoked."""
    with transaction.atomic():
        row = PlatformApiKey.objects.select_for_update().get(pk=key.pk)
        if not row.has_key:
            return False
        row.clear_secret()
        row.revoked_at = timezone.now()
        row.save()
        audit.record(row, KeyEventAction.REVOKED, actor=actor.user, ip=actor.ip)
        events.platform_key_changed(row.user_id)
    logger.info("platform key %s revoked", row.pk)
    return True


# --- the primary key (the seed's one-key endpoints) --------------------------------------

def _primary_locked(user: AbstractBaseUser) -> PlatformApiKey:
    _lock_owner(user)
    row = PlatformApiKey.objects.select_for_update().filter(user=user, is_primary=True).first()
    if row is None:
        row = PlatformApiKey.objects.create(user=user, is_primary=True, name=PRIMARY_NAME)
    return row


def platform_key_regenerate(*, user: AbstractBaseUser, actor: Actor | None = None) -> tuple[PlatformApiKey, str]:
    """Give ``user`` a fresh primary key, replacing any old one at once (a roll with grace 0).
    Returns (row, plaintext)."""
    actor = actor or Actor(user=user)
    with transaction.atomic():
        row = _primary_locked(user)
        if row.has_key:
            return key_roll(key=row, grace_seconds=0, actor=actor)
        plaintext = crypto.generate_platform_key()
        row.set_secret(plaintext)
        row.created_at = timezone.now()
        row.revoked_at = None
        row.last_used_at = None
        row.save()
        audit.record(row, KeyEventAction.CREATED, actor=actor.user, ip=actor.ip, detail={"name": row.name})
    logger.info("platform key regenerated for user %s", user.pk)
    return row, plaintext


def platform_key_revoke(*, user: AbstractBaseUser, actor: Actor | None = None) -> bool:
    """Make the user's primary key stop working at once. False when there was none."""
    row = platform_key_get(user=user)
    if row is None:
        return False
    return key_revoke(key=row, actor=actor or Actor(user=user))


def platform_key_set_mode(*, user: AbstractBaseUser, mode: str, actor: Actor | None = None) -> PlatformApiKey:
    """The primary key's order mode (the row is created, without a key, if need be)."""
    if mode not in OrderMode.values:
        raise ValueError(f"unknown order mode {mode!r}")
    with transaction.atomic():
        row = _primary_locked(user)
        return key_update(key=row, changes={"order_mode": mode}, actor=actor or Actor(user=user))
