"""The trading app's settings, read at call time (like apikeys/conf.py).

Looked up on ``django.conf.settings`` on every access, falling back to the defaults
below, so ``override_settings`` and pytest-django's ``settings`` fixture take effect
without reloading modules.
"""
from __future__ import annotations

from config.app_settings import AppSettings

DEFAULTS = {
    "SANDBOX_STARTING_CASH": 1_000_000.0,
    # OpenAlgo's sandbox leverage: margin = trade value / leverage.
    "SANDBOX_EQUITY_MIS_LEVERAGE": 5,
    "SANDBOX_EQUITY_CNC_LEVERAGE": 1,
    "SANDBOX_FUTURES_LEVERAGE": 10,
    "SANDBOX_OPTION_BUY_LEVERAGE": 1,
    "SANDBOX_OPTION_SELL_LEVERAGE": 1,
    # Auto square-off of MIS positions, IST wall-clock time per exchange (OpenAlgo's defaults).
    "SANDBOX_SQUARE_OFF_TIMES": {
        "NSE": "15:15", "BSE": "15:15", "NFO": "15:15", "BFO": "15:15", "CDS": "16:45", "MCX": "23:30",
    },
    "PENDING_ORDER_TTL_SECONDS": 15 * 60,
    # How long an order's idempotency key answers with its first result (idempotency.py).
    "ORDER_IDEMPOTENCY_SECONDS": 24 * 60 * 60,
    # SQLite only: a process's order calls queue on a lock for the write lock (write_lock.py).
    "SQLITE_QUEUE_ORDER_WRITES": True,
    "MARKET_SEED": 20260101,
    # The WebSocket stream (consumers.py, feed.py).
    "WS_MAX_SYMBOLS_PER_CONNECTION": 1000,
    "WS_MAX_CONNECTIONS_PER_USER": 3,
    "WS_AUTH_GRACE_SECONDS": 15.0,
    "WS_MAX_MESSAGE_BYTES": 64 * 1024,
    "WS_SEND_QUEUE_SIZE": 1000,
    # A client not reading (zero TCP window) gets no ticks; past this long it is closed (1008).
    "WS_STALLED_CLOSE_SECONDS": 30.0,
    "FEED_TICKS_PER_SECOND": 1.0,
}


app_settings = AppSettings(DEFAULTS)
trading_settings = app_settings  # the name the stream modules use
