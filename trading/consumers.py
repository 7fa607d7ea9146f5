"""The market-data WebSocket (SPEC §4), OpenAlgo's protocol over Channels.

Thin by design: decode a frame, look its action up in a dispatch table, call the
verification / feed / protocol helpers, reply. A bad frame gets an error reply and the
connection stays open; only the auth grace period, the per-user connection limit and a
key revocation close it.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from rest_framework.throttling import BaseThrottle

from apikeys import crypto, events, verification
from apikeys.authentication import check_key
from apikeys.models import PlatformApiKey
from trading import feed, stream_protocol as proto
from trading.conf import trading_settings
from trading.events import order_group

logger = logging.getLogger(__name__)

SYMBOL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_&.\-]{0,49}$")
EXCHANGES = {"NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "NSE_INDEX", "BSE_INDEX"}
MAX_FAILED_AUTH_PER_SOCKET = 5
ACTION_NAME = re.compile(r"^[a-z_]{1,32}$")


THROTTLED = object()


def client_ident(scope: dict) -> str:
    """The client address as DRF's throttles see it (NUM_PROXIES, X-Forwarded-For), so bad
    keys over WebSocket and over HTTP count against one per-address limit."""
    meta = {"REMOTE_ADDR": (scope.get("client") or ("",))[0]}
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-for":
            meta["HTTP_X_FORWARDED_FOR"] = value.decode("latin-1")
    return BaseThrottle().get_ident(SimpleNamespace(META=meta))


@database_sync_to_async
def _verify(presented: str, ident: str):
    """(verified key, its current digest), None for a bad key, or THROTTLED when this
    address is past the invalid_apikey rate (apikeys.authentication.check_key, the policy
    HTTP uses too): known before (then nothing is looked up, unless the address is one of
    INVALID_APIKEY_SHARED_SOURCES) or learnt from the shared count this bad key raised."""
    check = check_key(presented, ident)
    if check.verified is None:
        return None if check.wait is None else THROTTLED
    digest = crypto.lookup_digest(presented, crypto.current_pepper())
    return check.verified, digest


@database_sync_to_async
def _key_still_current(key_id: int, digest: str) -> bool:
    return PlatformApiKey.objects.filter(pk=key_id, lookup_digest=digest).exists()


class _Connections:
    """Authenticated sockets per user, in this process (for WS_MAX_CONNECTIONS_PER_USER)."""

    def __init__(self) -> None:
        self.by_user: dict[int, set[Any]] = {}

    def try_add(self, user_id: int, consumer: Any, limit: int) -> bool:
        sockets = self.by_user.setdefault(user_id, set())
        if consumer not in sockets and len(sockets) >= limit:
            return False
        sockets.add(consumer)
        return True

    def discard(self, user_id: int | None, consumer: Any) -> None:
        if user_id is None:
            return
        sockets = self.by_user.get(user_id)
        if sockets is not None:
            sockets.discard(consumer)
            if not sockets:
                del self.by_user[user_id]


connections = _Connections()


class MarketDataConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.user_id: int | None = None
        self.username: str | None = None
        self.key_id: int | None = None
        self.key_digest: str | None = None
        self.failed_auths = 0
        self.groups_joined: set[str] = set()
        self.outbox = feed.Outbox(self._send_text, trading_settings.WS_SEND_QUEUE_SIZE)
        await self.accept()
        self.outbox.start()
        self.grace_task = asyncio.get_running_loop().create_task(self._enforce_auth_grace())

    async def disconnect(self, code: int) -> None:
        grace_task = getattr(self, "grace_task", None)
        if grace_task is not None:
            grace_task.cancel()
        if hasattr(self, "outbox"):
            feed.hub().unsubscribe_all(self.outbox)
            await self.outbox.close()
        connections.discard(getattr(self, "user_id", None), self)
        for group in list(getattr(self, "groups_joined", ())):
            await self._leave(group)

    # --- frames in ---------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._reply(proto.error(proto.INVALID_JSON, "Binary frames are not supported: send JSON text"))
            return
        limit = trading_settings.WS_MAX_MESSAGE_BYTES
        if len(text_data) > limit or len(text_data.encode("utf-8", "surrogatepass")) > limit:
            await self._reply(proto.error(proto.MESSAGE_TOO_LARGE, f"Message larger than {limit} bytes"))
            return
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._reply(proto.error(proto.INVALID_JSON, "Invalid JSON message"))
            return
        if not isinstance(message, dict):
            await self._reply(proto.error(proto.INVALID_JSON, "A message must be a JSON object"))
            return
        action = message.get("action") or message.get("type")
        handler = self.ACTIONS.get(action) if isinstance(action, str) else None
        if handler is None:
            # Echo only what looks like an action name: a pasted key must not come back.
            shown = f": {action}" if isinstance(action, str) and ACTION_NAME.match(action) else ""
            await self._reply(proto.error(proto.INVALID_ACTION, f"Invalid action{shown}"))
            return
        await handler(self, message)

    # --- actions -------------------------------------------------------------------------
    async def _authenticate(self, message: dict) -> None:
        presented = message.get("apikey") or message.get("api_key")
        if not isinstance(presented, str) or not presented:
            await self._reply(proto.auth_error("API key is required"))
            return
        if self.failed_auths >= MAX_FAILED_AUTH_PER_SOCKET:
            # Guessing keys over one socket stops here, without another lookup.
            await self._reply(proto.auth_error("Too many failed authentication attempts on this connection", proto.RATE_LIMITED))
            return
        result = await _verify(presented, client_ident(self.scope))
        if result is THROTTLED:
            await self._reply(proto.auth_error("Too many invalid API keys from this address", proto.RATE_LIMITED))
            return
        if result is None:
            self.failed_auths += 1
            await self._reply(proto.auth_error(verification.INVALID_KEY_MESSAGE))
            return
        verified, digest = result
        if self.user_id is not None and self.user_id != verified.user_id:
            await self._forget_user()
        if not connections.try_add(verified.user_id, self, trading_settings.WS_MAX_CONNECTIONS_PER_USER):
            limit = trading_settings.WS_MAX_CONNECTIONS_PER_USER
            await self._reply(proto.auth_error(f"Too many connections for this user (max {limit})", proto.CONNECTION_LIMIT))
            await self.close(code=proto.CLOSE_CONNECTION_LIMIT)
            return
        self.user_id, self.username = verified.user_id, verified.user.get_username()
        self.key_id, self.key_digest = verified.key_id, digest
        if self.grace_task is not None:
            self.grace_task.cancel()  # authenticated: no reason to keep a timer per socket
            self.grace_task = None
        await self._join(events.key_group(verified.user_id))
        await self._reply(proto.auth_success(user_id=self.username))

    async def _subscribe(self, message: dict) -> None:
        if not await self._require_auth():
            return
        try:
            mode, mode_label = proto.normalize_mode(message.get("mode", 2))
        except ValueError as exc:
            await self._reply(proto.error(proto.INVALID_MODE, str(exc)))
            return
        try:
            depth = proto.normalize_depth(message.get("depth", 5))
        except ValueError as exc:
            await self._reply(proto.error(proto.INVALID_PARAMETERS, str(exc)))
            return
        instruments = self._instruments(message)
        if instruments is None:
            await self._reply(proto.error(proto.INVALID_PARAMETERS, "At least one symbol must be specified (symbol + exchange, or symbols: [...])"))
            return
        hub, limit = feed.hub(), trading_settings.WS_MAX_SYMBOLS_PER_CONNECTION
        if len(instruments) > limit:
            await self._reply(proto.error(proto.SYMBOL_LIMIT, f"At most {limit} symbols per connection"))
            return
        entries = []
        for symbol, exchange, problem in instruments:
            if problem:
                entries.append(proto.subscription_entry(str(symbol)[:50], str(exchange)[:20], status="error", message=problem))
                continue
            if not hub.is_subscribed(self.outbox, symbol, exchange) and hub.pair_count(self.outbox) >= limit:
                entries.append(proto.subscription_entry(symbol, exchange, status="error", message=f"Symbol limit reached ({limit} per connection)"))
                continue
            hub.subscribe(self.outbox, symbol, exchange, mode, depth)
            entries.append(proto.subscription_entry(symbol, exchange, mode_label=mode_label, depth=depth if mode == 3 else None))
        await self._reply(proto.subscribe_reply(entries, message.get("request_id")))

    async def _unsubscribe(self, message: dict) -> None:
        if not await self._require_auth():
            return
        if message.get("action") == "unsubscribe_all" or message.get("type") == "unsubscribe_all":
            await self._unsubscribe_all(message)
            return
        mode = None
        if message.get("mode") is not None:
            try:
                mode, _ = proto.normalize_mode(message["mode"])
            except ValueError as exc:
                await self._reply(proto.error(proto.INVALID_MODE, str(exc)))
                return
        instruments = self._instruments(message)
        if instruments is None:
            await self._reply(proto.error(proto.INVALID_PARAMETERS, "Either symbols or unsubscribe_all is required"))
            return
        hub, ok, failed = feed.hub(), [], []
        for symbol, exchange, problem in instruments:
            if problem:
                failed.append(proto.subscription_entry(str(symbol)[:50], str(exchange)[:20], status="error", message=problem))
            elif hub.unsubscribe(self.outbox, symbol, exchange, mode):
                ok.append(proto.subscription_entry(symbol, exchange))
            else:
                failed.append(proto.subscription_entry(symbol, exchange, status="error", message="Not subscribed"))
        await self._reply(proto.unsubscribe_reply(ok, failed, message.get("request_id")))

    async def _unsubscribe_all(self, message: dict) -> None:
        if not await self._require_auth():
            return
        removed = feed.hub().unsubscribe_all(self.outbox)
        ok = [proto.subscription_entry(symbol, exchange) for symbol, exchange in removed]
        await self._reply(proto.unsubscribe_reply(ok, [], message.get("request_id")))

    async def _ping(self, message: dict) -> None:
        await self._reply(proto.pong(message.get("timestamp"), message.get("_pingId")))

    async def _broker_info(self, message: dict) -> None:
        if await self._require_auth():
            await self._reply(proto.broker_info(user_id=self.username))

    async def _supported_brokers(self, message: dict) -> None:
        await self._reply(proto.supported_brokers())

    async def _subscribe_orders(self, message: dict) -> None:
        if await self._require_auth():
            await self._join(order_group(self.user_id))
            await self._reply(proto.orders_reply(True))

    async def _unsubscribe_orders(self, message: dict) -> None:
        if await self._require_auth():
            await self._leave(order_group(self.user_id))
            await self._reply(proto.orders_reply(False))

    ACTIONS = {
        "authenticate": _authenticate,
        "auth": _authenticate,
        "subscribe": _subscribe,
        "unsubscribe": _unsubscribe,
        "unsubscribe_all": _unsubscribe_all,
        "ping": _ping,
        "get_broker_info": _broker_info,
        "get_supported_brokers": _supported_brokers,
        "subscribe_orders": _subscribe_orders,
        "unsubscribe_orders": _unsubscribe_orders,
    }

    # --- channel-layer events ------------------------------------------------------------
    async def apikey_revoked(self, event: dict) -> None:
        """The user's key was regenerated or revoked (in any process): close if it was ours."""
        if self.key_id is None or await _key_still_current(self.key_id, self.key_digest):
            return
        await self._reply(proto.auth_error("API key was revoked or regenerated", "KEY_REVOKED"))
        await self.close(code=proto.CLOSE_KEY_REVOKED)

    async def order_event(self, event: dict) -> None:
        """An ``orders.<user_id>`` event: its data already says ``order_update`` or
        ``pending_order_update`` (trading/events.py), so it goes out as it is."""
        data = event.get("data")
        if isinstance(data, dict):
            await self._reply({"status": "success", **data})

    # --- helpers -------------------------------------------------------------------------
    def _instruments(self, message: dict) -> list[tuple[Any, Any, str | None]] | None:
        """[(symbol, exchange, problem-or-None)], or None when none was named at all."""
        raw = message.get("symbols")
        if raw is None or raw == []:
            if message.get("symbol") is None and message.get("exchange") is None:
                return None
            raw = [{"symbol": message.get("symbol"), "exchange": message.get("exchange")}]
        if not isinstance(raw, list):
            return None
        found = []
        for item in raw:
            if not isinstance(item, dict):
                found.append((json.dumps(item)[:50], "", "Each entry must be an object with symbol and exchange"))
                continue
            symbol, exchange = item.get("symbol"), item.get("exchange")
            if not isinstance(symbol, str) or not SYMBOL_PATTERN.match(symbol):
                found.append((symbol if isinstance(symbol, str) else json.dumps(symbol)[:50], exchange if isinstance(exchange, str) else "", "Invalid symbol"))
            elif not isinstance(exchange, str) or exchange.upper() not in EXCHANGES:
                found.append((symbol, exchange if isinstance(exchange, str) else json.dumps(exchange)[:20], "Invalid exchange"))
            else:
                found.append((symbol.upper(), exchange.upper(), None))
        return found

    async def _require_auth(self) -> bool:
        if self.user_id is None:
            await self._reply(proto.error(proto.NOT_AUTHENTICATED, "You must authenticate first"))
            return False
        return True

    async def _forget_user(self) -> None:
        feed.hub().unsubscribe_all(self.outbox)
        connections.discard(self.user_id, self)
        for group in list(self.groups_joined):
            await self._leave(group)
        self.user_id = self.username = self.key_id = self.key_digest = None

    async def _join(self, group: str) -> None:
        if group not in self.groups_joined and self.channel_layer is not None:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def _leave(self, group: str) -> None:
        if group in self.groups_joined and self.channel_layer is not None:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def _enforce_auth_grace(self) -> None:
        await asyncio.sleep(trading_settings.WS_AUTH_GRACE_SECONDS)
        if self.user_id is None:
            await self.close(code=proto.CLOSE_AUTH_TIMEOUT)

    async def _reply(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message, separators=(",", ":")))

    async def _send_text(self, frame: str) -> None:
        await self.send(text_data=frame)
