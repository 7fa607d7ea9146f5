"""The market-data WebSocket (docs/api/websocket.md), OpenAlgo's protocol over Channels.

Thin by design: decode a frame, look its action up in a dispatch table, call the
verification / feed / protocol helpers, reply. A bad frame gets an error reply and the
connection stays open; only the auth grace period, the per-user connection limit and a
key revocation close it. Whatever ends a consumer (a close, a crash, a channel layer
that went away) frees its per-user connection slot and its subscriptions.
"""
from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import DatabaseError
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from apikeys import crypto, events, eviction, key_lookup, key_policy, scopes, usage, verification
from apikeys.authentication import check_key
from config.request_body import JSON_DECODER
from trading import feed, instrument_master, instruments, send_backlog
from trading import stream_protocol as proto
from trading.conf import trading_settings
from trading.events import order_group

logger = logging.getLogger(__name__)

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
    if check.refusal is not None:
        return check.refusal  # a genuine key, expired or from an address not allowed
    if check.verified is None:
        return None if check.wait is None else THROTTLED
    digest = crypto.lookup_digest(presented, crypto.current_pepper())
    return check.verified, digest


@database_sync_to_async
def _verify_again(presented: str):
    """The key's owner now, after this socket joined the key's revocation group."""
    return verification.verify(presented)


@database_sync_to_async
def _key_now(key_id: int, digest: str, ident: str) -> tuple[frozenset[str] | None, str, datetime | None]:
    """What the key this socket signed in with may do now, read from the database: (its
    scopes, "", when it stops by the clock) while it works; (None, why, None) once it was
    regenerated, revoked, rolled past its grace, expired, narrowed to other addresses or its
    owner deactivated."""
    row = key_lookup.usable_key_by_digest(digest)
    if row is None or row.key_id != key_id:
        return None, "API key was revoked or regenerated", None
    refusal = key_policy.refusal(
        expires_at=row.expires_at, allowed=key_policy.networks(tuple(row.allowed_ips)), ident=ident,
    )
    if refusal is not None:
        return None, refusal, None
    return frozenset(row.scopes), "", _first_end(row.expires_at, row.valid_until)


def _first_end(*ends: datetime | None) -> datetime | None:
    """The earliest of a key's expiry and its secret's grace end (None: neither)."""
    return min((end for end in ends if end is not None), default=None)


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


def _recheck_keys(user_ids: set[int] | None) -> None:
    """An eviction listener (apikeys.eviction), called from any thread: the sockets of these
    users (None: every user) check their keys again, as on an ``apikey.revoked`` message. So
    a revocation reaches sockets by the eviction feed as well, one the channel layer lost
    while Redis was down included."""
    for user_id, sockets in list(connections.by_user.items()):
        if user_ids is None or user_id in user_ids:
            for consumer in list(sockets):
                consumer.recheck_key_soon(rejoin=user_ids is None)


eviction.add_listener(_recheck_keys)


class MarketDataConsumer(AsyncWebsocketConsumer):
    grace_task: asyncio.Task[None] | None
    deadline_task: asyncio.Task[None] | None

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # disconnect() is not called when the consumer dies of an exception (its
            # channel layer's Redis went away, say): what this process holds for the
            # socket is released here on every way out.
            self._release()

    def _release(self) -> None:
        grace_task = getattr(self, "grace_task", None)
        if grace_task is not None:
            grace_task.cancel()
            self.grace_task = None
        deadline_task = getattr(self, "deadline_task", None)
        if deadline_task is not None:
            deadline_task.cancel()
            self.deadline_task = None
        outbox = getattr(self, "outbox", None)
        if outbox is not None:
            feed.hub().unsubscribe_all(outbox)
            outbox.cancel()
        connections.discard(getattr(self, "user_id", None), self)

    async def connect(self) -> None:
        self.user_id: int | None = None
        self.username: str | None = None
        self.key_id: int | None = None
        self.key_digest: str | None = None
        self.key_scopes: frozenset[str] = frozenset()
        self.deadline_task = None
        self.failed_auths = 0
        self.groups_joined: set[str] = set()
        self.outbox = feed.Outbox(self._send_text, trading_settings.WS_SEND_QUEUE_SIZE)
        server, client = self.scope.get("server"), self.scope.get("client")
        if server and client:
            self.outbox.peer = (send_backlog.normalized(*server), send_backlog.normalized(*client))
            self.outbox.on_stalled = self._stalled
        self.loop = asyncio.get_running_loop()
        self.context = contextvars.copy_context()
        await self.accept()
        self.outbox.start()
        self.grace_task = self.loop.create_task(self._enforce_auth_grace())

    async def disconnect(self, code: int) -> None:
        self._release()
        if hasattr(self, "outbox"):
            await self.outbox.close()
        for group in list(getattr(self, "groups_joined", ())):
            await self._leave_quietly(group)

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
            message = JSON_DECODER.decode(text_data)  # NaN and Infinity refused, as over HTTP
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
        try:
            await handler(self, message)
        except Exception:
            # Any input gets an answer and the socket stays open; a failure is logged
            # (through the redactor) rather than left to close the socket with 1011.
            logger.exception("WebSocket action %s failed", action)
            await self._reply(proto.error(proto.SERVER_ERROR, "The server could not handle this message; try again"))

    # --- actions -------------------------------------------------------------------------
    async def _authenticate(self, message: dict) -> None:
        presented = message.get("apikey") or message.get("api_key")
        if isinstance(presented, str):
            presented = presented.strip()  # as over HTTP (apikeys.authentication.presented_key)
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
        if isinstance(result, str):
            await self._reply(proto.auth_error(result, proto.KEY_REFUSED))
            return
        if result is None:
            self.failed_auths += 1
            await self._reply(proto.auth_error(verification.INVALID_KEY_MESSAGE))
            return
        verified, digest = result
        if self.user_id is not None and self.user_id != verified.user_id:
            await self._forget_user()
        # Join the key's revocation group first, then verify again: a revoke or regenerate
        # that commits while the key was being checked (Argon2 takes a while) is either seen
        # by the second check or sends its notice after the join, to this socket.
        group = events.key_group(verified.user_id)
        try:
            await self._join(group)
        except Exception:
            logger.warning("WebSocket authentication refused: channel layer unavailable", exc_info=True)
            await self._reply(proto.auth_error("Authentication is unavailable right now; try again shortly", proto.UNAVAILABLE))
            return
        again = await _verify_again(presented)
        if again is None or again.key_id != verified.key_id:
            if self.user_id is None:
                await self._leave_quietly(group)
            await self._reply(proto.auth_error(verification.INVALID_KEY_MESSAGE))
            return
        if not connections.try_add(verified.user_id, self, trading_settings.WS_MAX_CONNECTIONS_PER_USER):
            limit = trading_settings.WS_MAX_CONNECTIONS_PER_USER
            await self._reply(proto.auth_error(f"Too many connections for this user (max {limit})", proto.CONNECTION_LIMIT))
            await self.close(code=proto.CLOSE_CONNECTION_LIMIT)
            return
        self.user_id, self.username = verified.user_id, verified.user.get_username()
        self.key_id, self.key_digest, self.key_scopes = verified.key_id, digest, again.scopes
        self._watch_deadline(_first_end(again.expires_at, again.valid_until))
        await database_sync_to_async(usage.counter.count)(verified.key_id, usage.STREAM, client_ident(self.scope))
        if self.grace_task is not None:
            self.grace_task.cancel()  # authenticated: no reason to keep a timer per socket
            self.grace_task = None
        await self._reply(proto.auth_success(user_id=self.username))

    async def _subscribe(self, message: dict) -> None:
        if not await self._require_auth() or not await self._require_scope(scopes.READ_MARKET):
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
            await self._reply(proto.error(proto.INVALID_PARAMETERS,
                                          "At least one symbol must be specified (symbol + exchange, or symbols: [...])"))
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
                entries.append(proto.subscription_entry(symbol, exchange, status="error",
                                                        message=f"Symbol limit reached ({limit} per connection)"))
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
            assert self.username is not None  # set together with user_id
            await self._reply(proto.broker_info(user_id=self.username))

    async def _supported_brokers(self, message: dict) -> None:
        await self._reply(proto.supported_brokers())

    async def _subscribe_orders(self, message: dict) -> None:
        if not await self._require_auth() or not await self._require_scope(scopes.READ_ACCOUNT):
            return
        assert self.user_id is not None  # _require_auth checked it
        try:
            await self._join(order_group(self.user_id))
        except Exception:
            logger.warning("subscribe_orders refused: channel layer unavailable", exc_info=True)
            await self._reply(proto.error(proto.UNAVAILABLE, "Order updates are unavailable right now; try again shortly"))
            return
        await self._reply(proto.orders_reply(True))

    async def _unsubscribe_orders(self, message: dict) -> None:
        if await self._require_auth():
            assert self.user_id is not None  # _require_auth checked it
            try:
                await self._leave(order_group(self.user_id))
            except Exception:  # still in the group: a retry leaves it
                logger.warning("unsubscribe_orders refused: channel layer unavailable", exc_info=True)
                await self._reply(proto.error(proto.UNAVAILABLE, "Order updates are unavailable right now; try again shortly"))
                return
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
    def recheck_key_soon(self, *, rejoin: bool = False) -> None:
        """From any thread: check this socket's key on its own event loop, in the socket's
        own context (not the caller's, which may be a sync thread's). ``rejoin``: Redis came
        back after an outage, empty: join this socket's groups again."""
        try:
            self.loop.call_soon_threadsafe(self._recheck_key, rejoin, context=self.context)
        except RuntimeError:  # the loop is closed: the socket is gone
            pass

    def _recheck_key(self, rejoin: bool) -> None:
        self.recheck_task = self.loop.create_task(self._recheck(rejoin))

    async def _recheck(self, rejoin: bool) -> None:
        await self.apikey_revoked({})
        if rejoin and self.channel_layer is not None:
            for group in list(self.groups_joined):
                try:
                    await self.channel_layer.group_add(group, self.channel_name)
                except Exception:  # Redis gone again: the next return of the feed rejoins
                    logger.warning("socket could not rejoin %s after a Redis outage", group.split(".")[0])
                    return

    async def apikey_revoked(self, event: dict) -> None:
        """One of the user's keys changed (in any process): close if ours stopped working,
        drop the streams it may no longer read."""
        if self.key_id is None or self.key_digest is None:
            return
        try:
            key_scopes, why, ends = await _key_now(self.key_id, self.key_digest, client_ident(self.scope))
        except DatabaseError:
            # What the key may do now cannot be read: fail closed, clearly; signing in
            # again works once the database answers.
            logger.warning("socket closed: its key could not be checked (database unavailable)", exc_info=True)
            await self._reply(proto.auth_error("Your API key could not be checked; sign in again shortly", proto.UNAVAILABLE))
            await self.close(code=proto.CLOSE_TRY_AGAIN_LATER)
            return
        if key_scopes is None:
            await self._reply(proto.auth_error(why, "KEY_REVOKED"))
            await self.close(code=proto.CLOSE_KEY_REVOKED)
            return
        self.key_scopes = key_scopes
        self._watch_deadline(ends)  # an expiry set, or a roll's grace begun, since sign-in
        if scopes.READ_MARKET not in key_scopes and feed.hub().pair_count(self.outbox):
            feed.hub().unsubscribe_all(self.outbox)
            await self._reply(proto.error(proto.SCOPE_MISSING, scopes.lacks_message(scopes.READ_MARKET)))
        if scopes.READ_ACCOUNT not in key_scopes and self.user_id is not None:
            group = order_group(self.user_id)
            if group in self.groups_joined:
                await self._leave_quietly(group)
                await self._reply(proto.error(proto.SCOPE_MISSING, scopes.lacks_message(scopes.READ_ACCOUNT)))

    def _watch_deadline(self, ends: datetime | None) -> None:
        """Check the key again when it expires or its rolled-out secret's grace ends: no
        eviction is sent for the clock, so the socket keeps its own time."""
        if self.deadline_task is not None and self.deadline_task is not asyncio.current_task():
            self.deadline_task.cancel()
        self.deadline_task = None
        if ends is not None:
            self.deadline_task = self.loop.create_task(self._recheck_at(ends))

    async def _recheck_at(self, when) -> None:
        await asyncio.sleep(max(0.0, (when - timezone.now()).total_seconds()) + 0.05)
        await self.apikey_revoked({})

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
        found: list[tuple[Any, Any, str | None]] = []
        for item in raw:
            if not isinstance(item, dict):
                found.append((json.dumps(item)[:50], "", "Each entry must be an object with symbol and exchange"))
                continue
            symbol, exchange = item.get("symbol"), item.get("exchange")
            if not isinstance(symbol, str) or not instruments.is_valid_symbol(instruments.normalize_symbol(symbol)):
                found.append((symbol if isinstance(symbol, str) else json.dumps(symbol)[:50],
                              exchange if isinstance(exchange, str) else "", "Invalid symbol"))
            elif not isinstance(exchange, str) or exchange.upper() not in instruments.EXCHANGES:
                found.append((symbol, exchange if isinstance(exchange, str) else json.dumps(exchange)[:20], "Invalid exchange"))
            else:
                symbol, exchange = instruments.normalize_symbol(symbol), exchange.upper()
                listed = instrument_master.listing(symbol, exchange) is not None
                found.append((symbol, exchange, None if listed else instrument_master.not_found_message(symbol, exchange)))
        return found

    async def _require_scope(self, scope: str) -> bool:
        if scope not in self.key_scopes:
            await self._reply(proto.error(proto.SCOPE_MISSING, scopes.lacks_message(scope)))
            return False
        return True

    async def _require_auth(self) -> bool:
        if self.user_id is None:
            await self._reply(proto.error(proto.NOT_AUTHENTICATED, "You must authenticate first"))
            return False
        return True

    async def _forget_user(self) -> None:
        feed.hub().unsubscribe_all(self.outbox)
        connections.discard(self.user_id, self)
        for group in list(self.groups_joined):
            await self._leave_quietly(group)
        self.user_id = self.username = self.key_id = self.key_digest = None
        self.key_scopes = frozenset()

    async def _join(self, group: str) -> None:
        if group not in self.groups_joined and self.channel_layer is not None:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def _leave(self, group: str) -> None:
        if group in self.groups_joined and self.channel_layer is not None:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def _leave_quietly(self, group: str) -> None:
        try:
            await self._leave(group)
        except Exception:  # the layer is down: the group expires there on its own
            logger.warning("could not leave channel group %s", group, exc_info=True)
            self.groups_joined.discard(group)

    def _stalled(self) -> None:
        """The client has not read for WS_STALLED_CLOSE_SECONDS (trading.feed): close it."""
        logger.warning("closing a WebSocket whose client stopped reading (%s frames dropped)", self.outbox.dropped)
        self.closing_task = asyncio.get_running_loop().create_task(self.close(code=proto.CLOSE_NOT_READING))

    async def _enforce_auth_grace(self) -> None:
        await asyncio.sleep(trading_settings.WS_AUTH_GRACE_SECONDS)
        if self.user_id is None:
            await self.close(code=proto.CLOSE_AUTH_TIMEOUT)

    async def _reply(self, message: dict) -> None:
        try:
            text = json.dumps(message, separators=(",", ":"), allow_nan=False)
        except ValueError:  # never NaN or Infinity on the wire: they are not JSON
            logger.error("WebSocket reply of type %s held a non-finite number", message.get("type"))
            text = json.dumps(proto.error(proto.SERVER_ERROR, "The server could not build this reply"))
        await self.send(text_data=text)

    async def _send_text(self, frame: str) -> None:
        await self.send(text_data=frame)
