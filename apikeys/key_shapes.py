"""A platform key as its owner sees it in the API and on the page: never the secret."""
from __future__ import annotations

import math
from datetime import datetime

from django.utils import timezone

from apikeys import crypto
from apikeys.models import PlatformApiKey, mask_secret


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.get_fixed_timezone(0)).strftime("%Y-%m-%dT%H:%M:%SZ")


def state(row: PlatformApiKey, now: datetime) -> str:
    if not row.has_key:
        return "revoked"
    return "expired" if row.is_expired(now) else "active"


def days_left(row: PlatformApiKey, now: datetime) -> int | None:
    if row.expires_at is None:
        return None
    return max(0, math.ceil((row.expires_at - now).total_seconds() / 86400))


def hint(row: PlatformApiKey) -> str | None:
    if not row.has_key:
        return None
    try:
        plaintext = row.reveal()
    except crypto.UndecryptableSecret:  # the list still answers; reveal names FERNET_KEYS
        return None
    return mask_secret(plaintext) if plaintext else None


def detail(row: PlatformApiKey) -> dict:
    now = timezone.now()
    return {
        "id": row.pk,
        "name": row.name,
        "is_primary": row.is_primary,
        "state": state(row, now),
        "hint": hint(row),
        "scopes": list(row.scopes or ()),
        "order_mode": row.order_mode,
        "expires_at": _utc(row.expires_at),
        "days_left": days_left(row, now),
        "allowed_ips": list(row.allowed_ips or ()),
        "rate_limit": row.rate_limit,
        "grace_ends_at": _utc(row.previous_valid_until) if row.in_grace(now) else None,
        "created_at": _utc(row.created_at),
        "last_used_at": _utc(row.last_used_at),
        "last_used_ip": row.last_used_ip or None,
        "revoked_at": _utc(row.revoked_at) if not row.has_key else None,
    }
