"""The shared cache (Redis when REDIS_URL is set), with this process's memory behind it.

Throttles and short-lived caches count in Django's default cache so that every process
agrees. When that cache does not answer (Redis down or frozen), they count in this
process instead, logged once per outage, so the API keeps answering while Redis is away.
After a failure the shared cache is not asked again for ``RETRY_SECONDS``: a frozen Redis
would otherwise cost every request a socket timeout.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)

SHARED_CACHE_ERRORS = (ConnectionInterrupted, redis.RedisError, OSError)
RETRY_SECONDS = 1.0


class SharedCache:
    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self.local = LocMemCache("keyward-shared-cache-fallback", {"MAX_ENTRIES": 100_000})
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down = False

    def get(self, key: str, default: Any = None) -> Any:
        return self._call("get", key, default)

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> None:
        self._call("set", key, value, timeout)

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> bool:
        return self._call("add", key, value, timeout)

    def incr(self, key: str, delta: int = 1) -> int:
        return self._call("incr", key, delta)

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def clear(self) -> None:
        self.local.clear()
        self._call("clear")

    def _call(self, method: str, *args: Any) -> Any:
        if time.monotonic() >= self._down_until:
            try:
                result = getattr(caches[self.alias], method)(*args)
            except SHARED_CACHE_ERRORS as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return result
        return getattr(self.local, method)(*args)

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_SECONDS
            if not self._down:
                self._down = True
                logger.warning("shared cache unavailable (%s): throttles and caches count in this process "
                               "until it answers again", type(exc).__name__)

    def _came_back(self) -> None:
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    logger.warning("shared cache answers again: throttles count across processes")


shared_cache = SharedCache()
