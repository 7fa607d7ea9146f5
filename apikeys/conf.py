"""The credentials app's settings, read at call time.

Attributes are looked up on ``django.conf.settings`` every time (falling back to the
defaults below), so ``override_settings`` in tests takes effect without reloading any
module, unlike import-time binding.
"""
from __future__ import annotations

from config.app_settings import AppSettings

DEFAULTS = {
    "API_KEY_PEPPER": "",
    "API_KEY_PEPPER_PREVIOUS": [],
    "FERNET_KEYS": [],
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    "PLATFORM_KEY_MEMO_SIZE": 10000,
    "PLATFORM_KEY_CACHE_SECONDS": 60.0,
    "PLATFORM_KEY_CACHE_SIZE": 10000,
    # Seconds without an answer from Redis after which the eviction feed counts as down.
    "PLATFORM_KEY_FEED_DEAD_AFTER": 1.5,
    "PLATFORM_KEY_EVICTION_CHANNEL": "keyward:platform-key-evictions",
    "PLATFORM_KEY_LAST_USED_INTERVAL": 60,
    "PLATFORM_KEYS_PER_USER": 10,
    # Usage counts are written in one batch per process at most this often (seconds).
    "PLATFORM_KEY_USAGE_FLUSH_SECONDS": 10.0,
    "SERVICE_KEY_LAST_USED_INTERVAL": 60,
    "INVALID_APIKEY_RECHECK_SECONDS": 1.0,
    "INVALID_APIKEY_SHARED_SOURCES": (),
}


app_settings = AppSettings(DEFAULTS)
