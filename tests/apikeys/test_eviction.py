"""The eviction feed (apikeys/eviction.py) against a real Redis of the test's own: the
cache is trusted only while the subscription is live, evictions from elsewhere land here,
and Redis killed, frozen or back never leaves a stale key trusted."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest
import redis

from apikeys import eviction, verification
from apikeys.key_cache import cache as key_cache
from tests.trading.redis_support import own_redis

pytestmark = pytest.mark.django_db


def wait_for(condition, timeout: float = 5.0) -> float:
    """Seconds until ``condition()`` held; fails the test past ``timeout``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"still not true after {timeout}s")
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
def feed_redis(settings):
    with own_redis() as server:
        settings.REDIS_URL = server.url
        settings.PLATFORM_KEY_EVICTION_CHANNEL = f"test-evictions-{os.getpid()}"
        try:
            yield server
        finally:
            eviction.feed.stop()


def live_cached(platform_key) -> None:
    """Wait for the feed, then put ``platform_key`` in this process's cache."""
    wait_for(eviction.cache_trusted)
    assert verification.verify(platform_key) is not None
    assert len(key_cache) == 1


def test_the_cache_is_used_only_once_the_subscription_is_confirmed(feed_redis, platform_key):
    assert feed_redis.process is not None
    # Frozen, Redis cannot confirm the subscription however long the checks below take.
    os.kill(feed_redis.process.pid, signal.SIGSTOP)
    try:
        assert eviction.cache_trusted() is False  # first call starts the feed: nothing confirmed yet
        assert verification.verify(platform_key) is not None
        assert len(key_cache) == 0
    finally:
        os.kill(feed_redis.process.pid, signal.SIGCONT)
    live_cached(platform_key)


def test_an_eviction_published_elsewhere_evicts_here(feed_redis, settings, user, platform_key):
    live_cached(platform_key)
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # evicts nothing by itself
    assert verification.verify(platform_key) is not None
    other_process = redis.Redis.from_url(feed_redis.url)
    other_process.publish(settings.PLATFORM_KEY_EVICTION_CHANNEL, json.dumps({"users": [user.pk]}))
    wait_for(lambda: len(key_cache) == 0, timeout=1)
    assert verification.verify(platform_key) is None


def test_a_committed_change_is_published(feed_redis, settings, user, platform_key, django_capture_on_commit_callbacks):
    listener = redis.Redis.from_url(feed_redis.url).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(settings.PLATFORM_KEY_EVICTION_CHANNEL)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    message = None
    deadline = time.monotonic() + 2
    while message is None and time.monotonic() < deadline:
        message = listener.get_message(timeout=0.1)
    assert message is not None and json.loads(message["data"]) == {"users": [user.pk]}


@pytest.mark.parametrize("junk", [b"not json", b"[1, 2]", b'{"users": ["1"]}', b'{"all": "yes"}'])
def test_a_malformed_message_evicts_nothing_and_the_feed_stays_live(feed_redis, settings, platform_key, junk):
    live_cached(platform_key)
    redis.Redis.from_url(feed_redis.url).publish(settings.PLATFORM_KEY_EVICTION_CHANNEL, junk)
    time.sleep(0.2)
    assert len(key_cache) == 1 and eviction.cache_trusted()


def test_redis_killed_then_back_the_cache_is_bypassed_then_starts_empty(
    feed_redis, user, platform_key, django_assert_num_queries,
):
    live_cached(platform_key)
    feed_redis.stop()
    wait_for(lambda: not eviction.cache_trusted(), timeout=1)
    # Meanwhile a change that no process could publish: it is read from the database.
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    with django_assert_num_queries(1):
        assert verification.verify(platform_key) is None
    type(user).objects.filter(pk=user.pk).update(is_active=True)
    assert verification.verify(platform_key) is not None

    feed_redis.start()  # same port
    wait_for(eviction.cache_trusted, timeout=5)
    assert len(key_cache) == 0  # whatever was cached before the outage is gone
    live_cached(platform_key)


def test_a_frozen_redis_is_noticed_and_the_cache_bypassed(feed_redis, platform_key):
    live_cached(platform_key)
    os.kill(feed_redis.process.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: not eviction.cache_trusted(), timeout=5)
        assert len(key_cache) == 1  # kept, but not trusted: checks read the database
    finally:
        os.kill(feed_redis.process.pid, signal.SIGCONT)
    wait_for(eviction.cache_trusted, timeout=10)


@pytest.fixture
def heard():
    calls: list = []
    eviction.add_listener(calls.append)
    yield calls
    eviction.remove_listener(calls.append)


def test_listeners_hear_each_eviction_and_a_return_after_an_outage(feed_redis, user, platform_key, heard):
    live_cached(platform_key)
    user.is_active = False
    user.save()
    assert heard and all(h == {user.pk} for h in heard)  # at once, and again on commit
    heard.clear()
    feed_redis.stop()
    wait_for(lambda: not eviction.cache_trusted(), timeout=1)
    feed_redis.start()
    wait_for(eviction.cache_trusted, timeout=5)
    wait_for(lambda: None in heard, timeout=1)  # every user: what was missed is unknown
