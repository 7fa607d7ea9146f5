"""OpenAlgo's WebSocket message shapes, in one place.

The consumer parses and dispatches; everything a client sees on the wire is built here,
so replies stay consistent with OpenAlgo's own proxy (``websocket_proxy/server.py``) and
with what its SDK's feed client parses.
"""
from __future__ import annotations

import time
from typing import Any

from trading.instruments import DEPTH_LEVELS

BROKER = "sandbox"
SUPPORTED_BROKERS = [BROKER]

MODE_LABELS = {1: "LTP", 2: "Quote", 3: "Depth"}
_MODE_BY_NAME = {label.lower(): number for number, label in MODE_LABELS.items()}

# Error codes of the protocol plus the limits' own (docs/api/websocket.md).
INVALID_JSON = "INVALID_JSON"
INVALID_ACTION = "INVALID_ACTION"
NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
INVALID_MODE = "INVALID_MODE"
INVALID_PARAMETERS = "INVALID_PARAMETERS"
AUTHENTICATION_ERROR = "AUTHENTICATION_ERROR"
MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"
SYMBOL_LIMIT = "SYMBOL_LIMIT"
CONNECTION_LIMIT = "CONNECTION_LIMIT"
RATE_LIMITED = "RATE_LIMITED"
UNAVAILABLE = "SERVICE_UNAVAILABLE"
SERVER_ERROR = "SERVER_ERROR"
SCOPE_MISSING = "PERMISSION_DENIED"
KEY_REFUSED = "KEY_REFUSED"

# Close codes (4000–4999 are the application's; 1008 and 1013 are RFC 6455's policy violation
# and try again later).
CLOSE_NOT_READING = 1008
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_AUTH_TIMEOUT = 4401
CLOSE_KEY_REVOKED = 4403
CLOSE_CONNECTION_LIMIT = 4429


def now_ms() -> int:
    return int(time.time() * 1000)


def normalize_mode(raw: Any) -> tuple[int, str]:
    """1/2/3 or "LTP"/"Quote"/"Depth" in any case → (number, label)."""
    if isinstance(raw, bool):
        raise ValueError("Invalid mode: use 1/2/3 or LTP/Quote/Depth")
    if isinstance(raw, int) and raw in MODE_LABELS:
        return raw, MODE_LABELS[raw]
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _MODE_BY_NAME:
            number = _MODE_BY_NAME[text]
            return number, MODE_LABELS[number]
        if text in {"1", "2", "3"}:
            return int(text), MODE_LABELS[int(text)]
    raise ValueError(f"Invalid mode {str(raw)[:20]!r}: use 1/2/3 or LTP/Quote/Depth")


def normalize_depth(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("Invalid depth")
    try:
        depth = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid depth: use one of {', '.join(map(str, DEPTH_LEVELS))}") from None
    if depth not in DEPTH_LEVELS or (isinstance(raw, float) and raw != depth):
        raise ValueError(f"Invalid depth: use one of {', '.join(map(str, DEPTH_LEVELS))}")
    return depth


def error(code: str, message: str, **extra: Any) -> dict:
    return {"status": "error", "code": code, "message": message, **extra}


def auth_success(*, user_id: str) -> dict:
    return {
        "type": "auth",
        "status": "success",
        "message": "Authentication successful",
        "user_id": user_id,
        "broker": BROKER,
        "supported_features": {"ltp": True, "quote": True, "depth": True},
    }


def auth_error(message: str, code: str = AUTHENTICATION_ERROR) -> dict:
    return {"type": "auth", "status": "error", "code": code, "message": message}


def pong(client_timestamp: Any, ping_id: Any = None) -> dict:
    reply = {"type": "pong", "status": "success", "server_timestamp": now_ms()}
    if client_timestamp is not None:
        reply["client_timestamp"] = client_timestamp
    if ping_id is not None:
        reply["_pingId"] = ping_id
    return reply


def broker_info(*, user_id: str) -> dict:
    return {"type": "broker_info", "status": "success", "broker": BROKER, "adapter_status": "connected", "user_id": user_id}


def supported_brokers() -> dict:
    return {"type": "supported_brokers", "status": "success", "brokers": SUPPORTED_BROKERS, "count": len(SUPPORTED_BROKERS)}


def subscription_entry(symbol: str, exchange: str, *, mode_label: str | None = None, depth: int | None = None,
                       status: str = "success", message: str | None = None) -> dict:
    entry: dict[str, Any] = {"symbol": symbol, "exchange": exchange, "status": status}
    if mode_label is not None:
        entry["mode"] = mode_label
    if depth is not None:
        entry["depth"] = depth
    if message is not None:
        entry["message"] = message
    entry["broker"] = BROKER
    return entry


def _overall(entries: list[dict]) -> str:
    ok = sum(1 for e in entries if e["status"] == "success")
    if ok == len(entries):
        return "success"
    return "partial" if ok else "error"


def subscribe_reply(entries: list[dict], request_id: Any = None) -> dict:
    reply = {
        "type": "subscribe",
        "status": _overall(entries),
        "subscriptions": entries,
        "message": "Subscription processing complete",
        "broker": BROKER,
    }
    if request_id is not None:
        reply["request_id"] = request_id
    return reply


def unsubscribe_reply(successful: list[dict], failed: list[dict], request_id: Any = None) -> dict:
    reply = {
        "type": "unsubscribe",
        "status": _overall(successful + failed) if (successful or failed) else "success",
        "message": "Unsubscription processing complete",
        "successful": successful,
        "failed": failed,
        "broker": BROKER,
    }
    if request_id is not None:
        reply["request_id"] = request_id
    return reply


def orders_reply(subscribed: bool) -> dict:
    action = "subscribe_orders" if subscribed else "unsubscribe_orders"
    return {"type": action, "status": "success", "message": f"Order updates {'on' if subscribed else 'off'}"}
