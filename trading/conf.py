"""The trading app's settings, read at call time (like apikeys/conf.py).

Looked up on ``django.conf.settings`` on every access, falling back to the defaults
below, so ``override_settings`` and pytest-django's ``settings`` fixture take effect
without reloading modules.
"""
from __future__ import annotations

from config.app_settings import AppSettings

DEFAULTS = {
    "SANDBOX_STARTING_CASH": 1_000_000.0,
    "PENDING_ORDER_TTL_SECONDS": 15 * 60,
    "MARKET_SEED": 20260101,
    # The WebSocket stream (consumers.py, feed.py).
    "WS_MAX_SYMBOLS_PER_CONNECTION": 1000,
    "WS_MAX_CONNECTIONS_PER_USER": 3,
    "WS_AUTH_GRACE_SECONDS": 15.0,
    "WS_MAX_MESSAGE_BYTES": 64 * 1024,
    "WS_SEND_QUEUE_SIZE": 1000,
    "FEED_TICKS_PER_SECOND": 1.0,
}


app_settings = AppSettings(DEFAULTS)
trading_settings = app_settings  # the name the stream modules use
