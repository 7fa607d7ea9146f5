"""Evicting cached platform keys in this process and in every other, and knowing when the
cache may be trusted.

``evict_users`` forgets a user's keys at once (so the rest of the writing transaction, and
tests that never commit, see the change), again once the transaction commits, and
publishes the eviction on Redis for every other process when ``REDIS_URL`` is set.

Each process listens on that channel in one thread of its own (redis-py pub/sub, not the
channel layer: the channel layer has no way to say whether a subscription is live, and
that is the whole point here). ``cache_trusted()`` is true only while the subscription is
confirmed and Redis has answered a ping within ``PLATFORM_KEY_FEED_DEAD_AFTER`` seconds;
otherwise every check reads the database, and when the feed comes back the cache starts
empty, since evictions sent meanwhile were lost. Without Redis there is one process and
local eviction is exact, so the cache is always trusted.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

import redis
from django.conf import settings
from django.db import transaction

from apikeys.conf import app_settings
from apikeys.key_cache import cache

logger = logging.getLogger(__name__)

REDIS_ERRORS = (redis.RedisError, OSError)


def evict_users(user_ids: Iterable[int]) -> None:
    """Every cached key of these users stops being trusted, here and everywhere."""
    ids = sorted({int(user_id) for user_id in user_ids})
    if not ids:
        return
    message = {"users": ids}
    apply(message)
    transaction.on_commit(lambda: _after_commit(message), robust=True)


EvictionListener = Callable[[set[int] | None], None]
_listeners: list[EvictionListener] = []


def add_listener(listener: EvictionListener) -> None:
    """Call ``listener(user_ids)`` after every eviction this process carries out (``None``:
    every user, as when the feed comes back after an outage): WebSocket consumers re-check
    their keys on it, so a revocation reaches sockets by the same feed as the cache."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_listener(listener: EvictionListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def apply(message: object) -> None:
    """Carry out one eviction message (local or received); anything else is ignored."""
    if not isinstance(message, dict):
        return
    users = message.get("users")
    if isinstance(users, list) and users and all(isinstance(user_id, int) for user_id in users):
        cache.evict_users(set(users))
        _tell_listeners(set(users))


def _tell_listeners(user_ids: set[int] | None) -> None:
    for listener in list(_listeners):
        try:
            listener(user_ids)
        except Exception:  # a listener's fault must not stop the feed or a committed write
            logger.exception("platform-key eviction listener failed")


def _after_commit(message: dict) -> None:
    # Again: a check that read the row between the first eviction and the commit may have
    # cached what was about to change.
    apply(message)
    publish(message)


def redis_url() -> str:
    return getattr(settings, "REDIS_URL", "") or ""


def channel() -> str:
    return app_settings.PLATFORM_KEY_EVICTION_CHANNEL


def publish(message: dict) -> None:
    url = redis_url()
    if not url:
        return
    try:
        _publisher(url).publish(channel(), json.dumps(message))
    except REDIS_ERRORS as exc:
        # Other processes lose their feed too while Redis is down and then read the
        # database; a write that reached the database is never undone for this.
        logger.warning("platform-key eviction not published (%s): other processes will see it once "
                       "their cache entries age out or their feed reconnects", type(exc).__name__)


_publishers: dict[tuple[int, str], redis.Redis] = {}


def _publisher(url: str) -> redis.Redis:
    key = (os.getpid(), url)
    client = _publishers.get(key)
    if client is None:
        timeout = app_settings.PLATFORM_KEY_FEED_DEAD_AFTER
        client = _publishers.setdefault(
            key, redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout),
        )
    return client


class Subscription:
    """One subscriber thread's state: what it serves and what it has heard."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pid = os.getpid()
        self.stop = threading.Event()
        self.subscribed = False
        self.last_heard = 0.0
        self.down_reported = False

    def trusted(self) -> bool:
        return (
            self.subscribed and not self.stop.is_set()
            and time.monotonic() - self.last_heard < app_settings.PLATFORM_KEY_FEED_DEAD_AFTER
        )

    def run(self) -> None:
        delay = 0.05
        while not self.stop.is_set():
            reached = False
            try:
                reached = self._listen()
            except REDIS_ERRORS as exc:
                if not self.down_reported:  # once per outage, not once per retry
                    logger.warning("platform-key eviction feed down (%s): keys are checked against the "
                                   "database until Redis answers again", type(exc).__name__)
                    self.down_reported = True
            finally:
                self.subscribed = False
            delay = 0.05 if reached else min(delay * 2, 1.0)
            self.stop.wait(delay)

    def _listen(self) -> bool:
        """Subscribe and hear messages until Redis fails or ``stop``; whether it subscribed."""
        dead_after = app_settings.PLATFORM_KEY_FEED_DEAD_AFTER
        ping_every = dead_after / 3
        client = redis.Redis.from_url(self.url, socket_connect_timeout=dead_after, socket_timeout=dead_after)
        pubsub = client.pubsub()
        reached = False
        try:
            pubsub.subscribe(channel())
            self.last_heard = time.monotonic()
            next_ping = 0.0
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= next_ping:
                    pubsub.ping()
                    next_ping = now + ping_every
                message = pubsub.get_message(timeout=ping_every)
                if message is None:
                    if time.monotonic() - self.last_heard >= dead_after:
                        raise redis.TimeoutError("Redis stopped answering pings")
                    continue
                self.last_heard = time.monotonic()
                reached = self._handle(message) or reached
        finally:
            pubsub.close()
            client.close()
        return reached

    def _handle(self, message: dict) -> bool:
        kind = message.get("type")
        if kind == "subscribe":
            # Whatever was evicted while the feed was down is unknown: start empty.
            cache.clear()
            self.subscribed = True
            if self.down_reported:
                _tell_listeners(None)
                logger.warning("platform-key eviction feed back: cached keys are trusted again")
                self.down_reported = False
            else:
                logger.info("platform-key eviction feed live")
            return True
        if kind == "message":
            try:
                apply(json.loads(message["data"]))
            except (ValueError, TypeError):
                logger.warning("ignored a malformed platform-key eviction message")
        return False


class EvictionFeed:
    """One subscriber thread per process (started on first use, again after a fork or a
    change of REDIS_URL), and whether what it has heard lets the cache be trusted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: Subscription | None = None

    def trusted(self) -> bool:
        url = redis_url()
        if not url:
            return True
        current = self._current
        if current is None or current.url != url or current.pid != os.getpid():
            self._start(url)
            return False
        return current.trusted()

    def _start(self, url: str) -> None:
        with self._lock:
            current = self._current
            if current is not None and current.url == url and current.pid == os.getpid():
                return
            if current is not None:
                current.stop.set()  # a thread serving another URL (tests change it) ends
            subscription = Subscription(url)
            self._current = subscription
            threading.Thread(target=subscription.run, name="keyward-key-evictions", daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.stop.set()
            self._current = None


feed = EvictionFeed()


def cache_trusted() -> bool:
    return feed.trusted()
