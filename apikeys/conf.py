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
    "PLATFORM_KEY_LAST_USED_INTERVAL": 60,
    "SERVICE_KEY_LAST_USED_INTERVAL": 60,
    "INVALID_APIKEY_RECHECK_SECONDS": 1.0,
    "INVALID_APIKEY_SHARED_SOURCES": (),
}


app_settings = AppSettings(DEFAULTS)
