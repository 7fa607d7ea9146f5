"""The three-level platform-key check: digest index → per-process memo → one Argon2.

1. ``HMAC-SHA256(pepper, key)`` finds the one candidate row through a unique index. An
   unknown key costs an HMAC and an index miss per configured pepper: no Argon2, no scan.
2. A per-process memo of ``(row id, stored hash)`` pairs already verified skips Argon2.
   The row itself is read on every call, so a regenerated key (new hash, new digest) or a
   revoked one (no digest) fails on the very next request in every process: the memo can
   only confirm what the database still says.
3. Otherwise one Argon2id verify of key + pepper (constant-time inside argon2).

Database errors propagate: an outage is an outage, never "bad key".
"""
from __future__ import annotations

import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from apikeys import crypto, key_lookup
from apikeys.conf import app_settings
from apikeys.fields import PepperedHashField
from apikeys.key_lookup import KeyRow
from apikeys.models import PlatformApiKey

INVALID_KEY_MESSAGE = "Invalid openalgo apikey"


@dataclass(frozen=True)
class VerifiedKey:
    key_id: int
    user: AbstractBaseUser
    order_mode: str

    @property
    def user_id(self) -> int:
        return self.user.pk


class VerifiedMemo:
    """A bounded LRU set of (row id, stored hash) pairs that passed Argon2 here."""

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
    for pepper_index, pepper in enumerate(crypto.peppers_in_turn()):
        digest = crypto.lookup_digest(presented, pepper)
        row = key_lookup.usable_key_by_digest(digest)
        if row is None:
            continue
        if not hmac.compare_digest(row.lookup_digest, digest):
            return None
        if not _confirm(row, presented, pepper, current_pepper=pepper_index == 0):
            return None
        _touch_last_used(row)
        return VerifiedKey(key_id=row.key_id, user=row.user, order_mode=row.order_mode)
    return None


def _confirm(row: KeyRow, presented: str, pepper: str, *, current_pepper: bool) -> bool:
    entry = (row.key_id, str(row.key_hash))
    if current_pepper and entry in memo:
        return True
    if not PepperedHashField.verify(presented, row.key_hash, pepper=pepper):
        return False
    if not current_pepper or PepperedHashField.must_update(row.key_hash):
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
    PlatformApiKey.objects.filter(pk=row.key_id, lookup_digest=row.lookup_digest).update(
        key_hash=fresh.key_hash, lookup_digest=fresh.lookup_digest
    )
    return str(fresh.key_hash)


def _touch_last_used(row: KeyRow) -> None:
    """Record use at most once per interval: no write on every request."""
    now = timezone.now()
    interval = timedelta(seconds=app_settings.PLATFORM_KEY_LAST_USED_INTERVAL)
    if row.last_used_at is None or now - row.last_used_at >= interval:
        PlatformApiKey.objects.filter(pk=row.key_id).update(last_used_at=now)
