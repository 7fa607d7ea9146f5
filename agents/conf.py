"""The agents app's settings, read at call time (like ``apikeys.conf``), so
``override_settings`` in tests takes effect without reloading any module.

The system keys are the operator's fallback when a user has no key of that type in the
vault; an empty value means "no system key".
"""
from __future__ import annotations

from config.app_settings import AppSettings

DEFAULTS = {
    "NEWS_API_KEY": "",
    "GOOGLE_API_KEY": "",
    "FINNHUB_API_KEY": "",
    "FMP_API_KEY": "",
    "GEMINI_MODEL": "gemini-2.0-flash",
    "NEWS_ANALYST_PAGE_SIZE": 10,
    "NEWS_ANALYST_CACHE_SECONDS": 300,
}

# key_type -> the setting holding its system key; "general" has none.
SYSTEM_KEY_SETTINGS = {
    "news_api": "NEWS_API_KEY",
    "google_api": "GOOGLE_API_KEY",
    "finnhub_api": "FINNHUB_API_KEY",
    "fmp_api": "FMP_API_KEY",
}


app_settings = AppSettings(DEFAULTS)
