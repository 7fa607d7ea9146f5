"""This process's cache of verified platform keys: lookup digest → what a request needs.

Bounded (least recently used goes first) and aged (``PLATFORM_KEY_CACHE_SECONDS``). An
entry may only be added by a check that started after the last eviction: every eviction
and every clear moves ``generation`` on, and ``put`` refuses an entry read under an older
one, so a check that read the row just before a revocation committed never caches it.
Who evicts, and when the cache may be trusted at all, is ``apikeys.eviction``'s business.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from apikeys.conf import app_settings


@dataclass
class CachedKey:
    """Everything a request authenticated by this key needs, and everything the key may
    do, without a query. Every column behind these fields evicts the entry when it changes."""

    key_id: int
    user: AbstractBaseUser  # as loaded on the miss; never handed out itself, only copies
    order_mode: str
    last_used_at: datetime | None  # as last written by this process: see verification.touch_last_used
    scopes: frozenset[str] = frozenset()
    expires_at: datetime | None = None
    allowed: tuple = ()  # the allowlist as ip_network objects (key_policy.networks); empty: any address
    rate: tuple[int, int] | None = None  # (requests, seconds), key_policy.parse_rate
    valid_until: datetime | None = None  # the previous secret of a roll: refused from then on
    is_primary: bool = False
    cached_at: float = field(default_factory=time.monotonic)


class KeyCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[str, CachedKey] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0

    def get(self, digest: str) -> CachedKey | None:
        max_age = app_settings.PLATFORM_KEY_CACHE_SECONDS
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if not 0 <= time.monotonic() - entry.cached_at < max_age:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry

    def put(self, digest: str, entry: CachedKey, *, generation: int) -> bool:
        """Keep ``entry`` unless something was evicted since ``generation`` was read."""
        limit = app_settings.PLATFORM_KEY_CACHE_SIZE
        with self._lock:
            if generation != self.generation or limit <= 0 or app_settings.PLATFORM_KEY_CACHE_SECONDS <= 0:
                return False
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > limit:
                self._entries.popitem(last=False)
            return True

    def forget(self, digest: str) -> None:
        """Drop one entry that its own fields say is over (a roll's grace ended)."""
        with self._lock:
            self._entries.pop(digest, None)

    def evict_users(self, user_ids: set[int]) -> None:
        """Forget every key of these users (their keys, flags or the users themselves changed)."""
        with self._lock:
            self.generation += 1
            for digest in [d for d, entry in self._entries.items() if entry.user.pk in user_ids]:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


cache = KeyCache()
