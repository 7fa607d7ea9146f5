"""config/shared_cache.py: with Redis gone the API keeps answering, throttles count in
this process, and the outage is logged once, not per request."""
from __future__ import annotations

import logging
import time

import pytest
import redis

from config.shared_cache import shared_cache
from tests.trading.redis_support import own_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache_then_killed(settings):
    in_memory = settings.CACHES
    with own_redis() as server:
        settings.CACHES = {"default": {
            "BACKEND": "django_redis.cache.RedisCache", "LOCATION": server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }}
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "invalid_apikey": "3/min"},
        }
        shared_cache.set("probe", 1)
        assert shared_cache.get("probe") == 1  # Redis answered
        server.stop()
        yield server
        settings.CACHES = in_memory
    shared_cache.local.clear()


def ping(client, key: str) -> int:
    return client.post("/api/v1/ping", {"apikey": key}, format="json").status_code


def test_with_redis_down_good_keys_pass_bad_keys_are_refused_and_throttled_here(
    redis_cache_then_killed, anon, platform_key, caplog,
):
    caplog.set_level(logging.WARNING, logger="config.shared_cache")
    assert ping(anon, platform_key) == 200
    assert [ping(anon, "b" * 64) for _ in range(4)] == [403, 403, 403, 429]
    assert ping(anon, platform_key) == 429  # this address is past the limit, counted here
    outages = [r for r in caplog.records if "shared cache unavailable" in r.getMessage()]
    assert len(outages) == 1


def test_redis_back_is_used_again(redis_cache_then_killed, caplog, monkeypatch):
    from config import shared_cache as module

    caplog.set_level(logging.WARNING, logger="config.shared_cache")
    monkeypatch.setattr(module, "RETRY_SECONDS", 0.0)  # ask Redis again at once
    assert shared_cache.get("missing") is None  # fails over
    redis_cache_then_killed.start()
    # The first call after the restart may still meet a connection of the old server.
    deadline = time.monotonic() + 5
    while not _in_redis(redis_cache_then_killed.url, "after"):
        assert time.monotonic() < deadline, "the shared cache never went back to Redis"
        shared_cache.set("after", 2)
        time.sleep(0.05)
    assert shared_cache.get("after") == 2
    assert any("answers again" in r.getMessage() for r in caplog.records)


def _in_redis(url: str, key: str) -> bool:
    return any(name.endswith(f":{key}".encode()) for name in redis.Redis.from_url(url).keys("*"))
