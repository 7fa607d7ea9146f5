"""The one indexed read behind a platform-key cache miss: the usable row with this digest.

A plain ORM query through ``PlatformApiKey.objects.usable()``, the one place that says
which rows may authenticate. The digest may be the key's current one or, during a roll's
grace, its previous one (both columns have a unique index). Only the columns the check
needs are loaded, and of the owner what an API request uses (id, name, active and staff
flags): the owner's password hash is never loaded by an API call.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from apikeys.models import PlatformApiKey

KEY_COLUMNS = (
    "id", "key_hash", "lookup_digest", "previous_key_hash", "previous_lookup_digest", "previous_valid_until",
    "order_mode", "last_used_at", "scopes", "expires_at", "allowed_ips", "rate_limit", "is_primary",
)
USER_COLUMNS = ("id", "username", "is_active", "is_staff", "is_superuser")


class KeyRow(NamedTuple):
    """The usable key's columns the check reads, and its owner as a model instance.

    ``key_hash`` and ``lookup_digest`` are those of the secret that matched: the current
    one, or the previous one during a roll's grace (then ``valid_until`` is its end)."""

    key_id: int
    key_hash: str | None
    lookup_digest: str
    valid_until: datetime | None
    order_mode: str
    last_used_at: datetime | None
    scopes: list[str]
    expires_at: datetime | None
    allowed_ips: list[str]
    rate_limit: str
    is_primary: bool
    user: AbstractBaseUser

    @property
    def previous_secret(self) -> bool:
        return self.valid_until is not None

    def __repr__(self) -> str:
        # Never the hash or the digest: a traceback with locals may print this row.
        return f"KeyRow(key_id={self.key_id}, user_id={self.user.pk}, previous_secret={self.previous_secret})"


def usable_key_by_digest(digest: str) -> KeyRow | None:
    """The usable key row whose current (or still valid previous) digest is ``digest``."""
    row = (
        PlatformApiKey.objects.usable().select_related("user")
        .only("user", *KEY_COLUMNS, *(f"user__{name}" for name in USER_COLUMNS))
        .filter(Q(lookup_digest=digest) | Q(previous_lookup_digest=digest, previous_valid_until__gt=timezone.now()))
        .first()
    )
    if row is None:
        return None
    current = row.lookup_digest == digest
    return KeyRow(
        key_id=row.pk,
        key_hash=row.key_hash if current else row.previous_key_hash,
        lookup_digest=row.lookup_digest if current else row.previous_lookup_digest,
        valid_until=None if current else row.previous_valid_until,
        order_mode=row.order_mode,
        last_used_at=row.last_used_at,
        scopes=list(row.scopes or ()),
        expires_at=row.expires_at,
        allowed_ips=list(row.allowed_ips or ()),
        rate_limit=row.rate_limit or "",
        is_primary=row.is_primary,
        user=row.user,
    )
