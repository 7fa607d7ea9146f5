"""The platform-key check: digest → this process's cache → one indexed read → one Argon2.

1. ``HMAC-SHA256(pepper, key)`` names the key without storing it. An unknown key costs an
   HMAC and an index miss per configured pepper: no Argon2, no scan.
2. A cache hit (``apikeys.key_cache``) answers with no query at all, while the eviction
   feed says the cache can be trusted (``apikeys.eviction``); a rolled-out secret whose
   grace has ended is refused there by the clock.
3. On a miss, the usable row is read through its unique digest index (the current secret's,
   or the previous one's during a roll's grace) and the key is verified with Argon2id once
   per process and stored hash (the memo), then cached with everything it may do.

What a genuine key may do (expiry, allowlist, rate, scope) is decided after this, by
``apikeys.key_policy``, ``apikeys.key_rate`` and ``apikeys.permissions``.

Database errors propagate: an outage is an outage, never "bad key". The design notes are
in docs/design/key-check.md.
"""
from __future__ import annotations

import copy
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from apikeys import crypto, eviction, key_lookup, key_policy
from apikeys.conf import app_settings
from apikeys.fields import PepperedHashField
from apikeys.key_cache import CachedKey, cache
from apikeys.key_lookup import KeyRow
from apikeys.models import PlatformApiKey

INVALID_KEY_MESSAGE = "Invalid openalgo apikey"


@dataclass(frozen=True)
class VerifiedKey:
    key_id: int
    user: AbstractBaseUser
    order_mode: str
    scopes: frozenset[str] = frozenset()
    expires_at: datetime | None = None
    allowed: tuple = ()
    rate: tuple[int, int] | None = None
    valid_until: datetime | None = None
    is_primary: bool = False

    @property
    def user_id(self) -> int:
        return self.user.pk


class VerifiedMemo:
    """A bounded LRU set of (row id, stored hash) pairs that passed Argon2 here: a key
    evicted from the cache (a mode change, say) is not hashed again."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, entry: tuple[int, str]) -> bool:
        with self._lock:
            if entry in self._entries:
                self._entries.move_to_end(entry)
                return True
            return False

    def add(self, entry: tuple[int, str]) -> None:
        with self._lock:
            self._entries[entry] = None
            self._entries.move_to_end(entry)
            while len(self._entries) > max(app_settings.PLATFORM_KEY_MEMO_SIZE, 0):
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


memo = VerifiedMemo()


def verify(presented: object) -> VerifiedKey | None:
    """Return who ``presented`` belongs to, or None for any kind of bad key."""
    if not crypto.looks_like_platform_key(presented):
        return None
    digest = crypto.lookup_digest(presented, crypto.current_pepper())
    trusted = eviction.cache_trusted()
    if trusted:
        entry = cache.get(digest)
        if entry is not None:
            if entry.valid_until is not None and entry.valid_until <= timezone.now():
                cache.forget(digest)  # a rolled key's grace ended: refused in every process by the clock
                return None
            touch_last_used(entry)
            return _verified(entry)
    generation = cache.generation  # read before the row: see key_cache's module doc
    entry = _check_against_database(presented, digest)
    if entry is None:
        return None
    if trusted:
        cache.put(digest, entry, generation=generation)
    touch_last_used(entry)
    return _verified(entry)


def _check_against_database(presented: str, digest: str) -> CachedKey | None:
    for pepper_index, pepper in enumerate(crypto.peppers_in_turn()):
        candidate = digest if pepper_index == 0 else crypto.lookup_digest(presented, pepper)
        row = key_lookup.usable_key_by_digest(candidate)
        if row is None:
            continue
        if not hmac.compare_digest(row.lookup_digest, candidate):
            return None
        if not _confirm(row, presented, pepper, current_pepper=pepper_index == 0):
            return None
        return _entry(row)
    return None


def _entry(row: KeyRow) -> CachedKey:
    try:
        rate = key_policy.parse_rate(row.rate_limit)
    except ValueError:  # validated on save; a hand-edited one must not make every request a 500
        rate = None
    return CachedKey(
        key_id=row.key_id,
        user=row.user,
        order_mode=row.order_mode,
        last_used_at=row.last_used_at,
        scopes=frozenset(row.scopes),
        expires_at=row.expires_at,
        allowed=key_policy.networks(tuple(str(entry) for entry in row.allowed_ips)),
        rate=rate,
        valid_until=row.valid_until,
        is_primary=row.is_primary,
    )


def _confirm(row: KeyRow, presented: str, pepper: str, *, current_pepper: bool) -> bool:
    entry = (row.key_id, str(row.key_hash))
    if current_pepper and entry in memo:
        return True
    if row.key_hash is None or not PepperedHashField.verify(presented, row.key_hash, pepper=pepper):
        return False
    if (not current_pepper or PepperedHashField.must_update(row.key_hash)) and not row.previous_secret:
        # A previous secret in its grace is not upgraded: it stops working soon anyway.
        entry = (row.key_id, _upgrade(row, presented))
    memo.add(entry)
    return True


def _upgrade(row: KeyRow, presented: str) -> str:
    """Re-hash and re-digest under the current pepper and Argon2 parameters; the new hash.

    Conditional on the digest still being the one we verified, so a regenerate that
    raced this request is never overwritten with the old key.
    """
    fresh = PlatformApiKey(pk=row.key_id)
    fresh.set_secret(presented)
    upgraded = PlatformApiKey.objects.filter(pk=row.key_id, lookup_digest=row.lookup_digest).update(
        key_hash=fresh.key_hash, lookup_digest=fresh.lookup_digest
    )
    if upgraded:
        eviction.evict_users([row.user.pk])
    return str(fresh.key_hash)


def _verified(entry: CachedKey) -> VerifiedKey:
    """With a copy of the owner for this request (a view may change its ``request.user``);
    fields the check did not load stay deferred and load on first access."""
    return VerifiedKey(
        key_id=entry.key_id, user=copy.copy(entry.user), order_mode=entry.order_mode, scopes=entry.scopes,
        expires_at=entry.expires_at, allowed=entry.allowed, rate=entry.rate, valid_until=entry.valid_until,
        is_primary=entry.is_primary,
    )


def touch_last_used(entry: CachedKey) -> None:
    """Record use at most once per interval and process: no write on every request."""
    now = timezone.now()
    interval = timedelta(seconds=app_settings.PLATFORM_KEY_LAST_USED_INTERVAL)
    if entry.last_used_at is None or now - entry.last_used_at >= interval:
        entry.last_used_at = now
        PlatformApiKey.objects.filter(pk=entry.key_id).update(last_used_at=now)
