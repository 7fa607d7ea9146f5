"""Publishes simulated ticks to the sockets subscribed in this process.

One hub per event loop (one per server process): it keeps the process-local interest
index ``(symbol, exchange) → {outbox: {(mode, depth)}}`` and, at FEED_TICKS_PER_SECOND,
builds each ``market_data`` frame once per (symbol, mode, depth) and puts that same
string on every interested connection's outbox. Ticks never cross processes: the market
is deterministic, so every process computes the same prices itself (docs/design/websocket-feed.md).

Each connection drains its own bounded outbox, so a slow or stalled client only ever
loses its own oldest frames (counted in ``Outbox.dropped``) and never delays the others.
An outbox whose client stopped reading (its TCP peer advertises a zero window:
send_backlog.py) gets no ticks until it reads again, and its connection is told to close
once that has lasted WS_STALLED_CLOSE_SECONDS: the server never buffers without bound.
"""
from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable

from trading import market, send_backlog
from trading.conf import trading_settings
from trading.stream_protocol import now_ms

logger = logging.getLogger(__name__)

ModeKey = tuple[int, int]  # (mode, depth levels; 0 where depth does not apply)


class Outbox:
    """A connection's bounded queue of outgoing frames, drained by its own task."""

    def __init__(self, send: Callable[[str], Awaitable[None]], maxsize: int) -> None:
        self._send = send
        self._frames: deque[str] = deque()
        self._maxsize = max(1, maxsize)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.dropped = 0
        # (local, remote) TCP addresses of the connection, when the server gave them.
        self.peer: tuple[send_backlog.Address, send_backlog.Address] | None = None
        self.stalled_since: float | None = None  # loop time the client was first seen not reading
        self.on_stalled: Callable[[], None] | None = None  # called once, when it lasted too long

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain())

    def push(self, frame: str) -> None:
        if self.stalled_since is not None:  # the client is not reading: nothing more is buffered
            self.dropped += 1
            return
        if len(self._frames) >= self._maxsize:
            self._frames.popleft()  # drop the oldest: a newer tick supersedes it
            self.dropped += 1
        self._frames.append(frame)
        self._wakeup.set()

    def __len__(self) -> int:
        return len(self._frames)

    def clear(self) -> None:
        self._frames.clear()

    async def _drain(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._frames:
                await self._send(self._frames.popleft())

    def cancel(self) -> None:
        """Stop draining and drop what is queued, without waiting (close() also waits)."""
        if self._task is not None:
            self._task.cancel()
        self._frames.clear()

    async def close(self) -> None:
        task, self._task = self._task, None
        self._frames.clear()
        if task is not None:
            task.cancel()
            # Wait for the drain to end, whatever it ended with; asyncio.wait (unlike
            # catching around ``await task``) lets a cancellation of the caller through.
            await asyncio.wait([task])


def market_data_frame(symbol: str, exchange: str, mode: int, depth: int, timestamp_ms: int) -> str:
    """The JSON text of one ``market_data`` message (docs/api/websocket.md): ``mode`` is the number."""
    snapshot = market.quote(symbol, exchange, at_ms=timestamp_ms)
    if mode == 1:
        data = {"ltp": snapshot["ltp"], "timestamp": timestamp_ms}
    elif mode == 2:
        data = {
            "ltp": snapshot["ltp"],
            "timestamp": timestamp_ms,
            "open": snapshot["open"],
            "high": snapshot["high"],
            "low": snapshot["low"],
            "close": snapshot["prev_close"],
            "volume": snapshot["volume"],
            "change": round(snapshot["ltp"] - snapshot["prev_close"], 2),
            "change_percent": round((snapshot["ltp"] - snapshot["prev_close"]) / snapshot["prev_close"] * 100, 2),
            "avg_trade_price": snapshot["average_price"],
            "last_trade_quantity": snapshot["last_trade_quantity"],
        }
    else:
        book = market.depth(symbol, exchange, levels=depth, at_ms=timestamp_ms)
        data = {
            "ltp": snapshot["ltp"],
            "timestamp": timestamp_ms,
            "depth": {"buy": book["bids"], "sell": book["asks"]},
        }
    return json.dumps(
        {"type": "market_data", "symbol": symbol, "exchange": exchange, "mode": mode, "data": data},
        separators=(",", ":"),
    )


class FeedHub:
    """The interest index and the publisher task of one event loop.

    ``autostart=False`` leaves publishing to explicit ``publish_once`` calls (tests that
    count frames, benchmarks that drive ticks themselves).
    """

    def __init__(self, *, autostart: bool = True) -> None:
        self._autostart = autostart
        self._interest: dict[tuple[str, str], dict[Outbox, set[ModeKey]]] = {}
        # The reverse index: each connection's pairs, so a subscribe's limit check and a
        # disconnect's clean-up cost that connection's symbols, not every symbol of the process.
        self._pairs_by_outbox: dict[Outbox, set[tuple[str, str]]] = {}
        self._task: asyncio.Task | None = None
        self._stalls_checked_at = float("-inf")
        self.frames_built = 0
        self.frames_delivered = 0

    # --- interest ------------------------------------------------------------------
    def subscribe(self, outbox: Outbox, symbol: str, exchange: str, mode: int, depth: int) -> None:
        key: ModeKey = (mode, depth if mode == 3 else 0)
        self._interest.setdefault((symbol, exchange), {}).setdefault(outbox, set()).add(key)
        self._pairs_by_outbox.setdefault(outbox, set()).add((symbol, exchange))
        self._ensure_running()

    def unsubscribe(self, outbox: Outbox, symbol: str, exchange: str, mode: int | None = None) -> bool:
        subscribers = self._interest.get((symbol, exchange))
        if not subscribers or outbox not in subscribers:
            return False
        wants = subscribers[outbox]
        before = len(wants)
        if mode is None:
            wants.clear()
        else:
            wants.difference_update({k for k in wants if k[0] == mode})
        removed = len(wants) < before
        if not wants:
            del subscribers[outbox]
            pairs = self._pairs_by_outbox.get(outbox)
            if pairs is not None:
                pairs.discard((symbol, exchange))
                if not pairs:
                    del self._pairs_by_outbox[outbox]
        if not subscribers:
            del self._interest[(symbol, exchange)]
        return removed

    def unsubscribe_all(self, outbox: Outbox) -> list[tuple[str, str]]:
        removed = []
        for pair in list(self._pairs_by_outbox.get(outbox, ())):
            if self.unsubscribe(outbox, *pair):
                removed.append(pair)
        return removed

    def pair_count(self, outbox: Outbox) -> int:
        return len(self._pairs_by_outbox.get(outbox, ()))

    def is_subscribed(self, outbox: Outbox, symbol: str, exchange: str) -> bool:
        return (symbol, exchange) in self._pairs_by_outbox.get(outbox, ())

    # --- publishing ----------------------------------------------------------------
    def _publish_symbol(self, symbol: str, exchange: str, subscribers: dict[Outbox, set[ModeKey]],
                        timestamp_ms: int) -> None:
        frames: dict[ModeKey, str] = {}
        for outbox, wants in list(subscribers.items()):
            for key in wants:
                frame = frames.get(key)
                if frame is None:
                    frame = frames[key] = market_data_frame(symbol, exchange, key[0], key[1] or 5, timestamp_ms)
                    self.frames_built += 1
                outbox.push(frame)
                self.frames_delivered += 1

    def publish_once(self, timestamp_ms: int | None = None) -> None:
        """One tick for every subscribed symbol, all queued before anything is sent."""
        timestamp_ms = timestamp_ms or now_ms()
        for (symbol, exchange), subscribers in list(self._interest.items()):
            self._publish_symbol(symbol, exchange, subscribers, timestamp_ms)

    async def publish_tick(self, timestamp_ms: int | None = None) -> None:
        """One tick, yielding to the sockets after each symbol: the first symbol's frames
        are on the wire while the later ones are still being built (halves p50 latency
        at 100 symbols × 20 subscribers, bench/ws_fanout.py)."""
        timestamp_ms = timestamp_ms or now_ms()
        for (symbol, exchange), subscribers in list(self._interest.items()):
            try:
                self._publish_symbol(symbol, exchange, subscribers, timestamp_ms)
            except Exception:  # one bad symbol must not stop every feed
                logger.exception("feed publish failed for %s:%s", exchange, symbol)
            await asyncio.sleep(0)

    def check_stalls(self, now: float) -> None:
        """Pause the ticks of every subscribed connection whose client is not reading, resume
        those reading again, and report the ones stalled for WS_STALLED_CLOSE_SECONDS."""
        watched = [outbox for outbox in self._pairs_by_outbox if outbox.peer is not None]
        if not watched:
            return
        stalled = send_backlog.stalled_connections()
        limit = trading_settings.WS_STALLED_CLOSE_SECONDS
        for outbox in watched:
            if outbox.peer not in stalled:
                outbox.stalled_since = None
            elif outbox.stalled_since is None:
                outbox.stalled_since = now
                outbox.dropped += len(outbox)
                outbox.clear()  # what is still queued would only wait in the server's buffers
            elif now - outbox.stalled_since >= limit and outbox.on_stalled is not None:
                report, outbox.on_stalled = outbox.on_stalled, None
                report()

    def _ensure_running(self) -> None:
        if not self._autostart:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        """Ticks on a fixed clock: a late wake-up shortens the next wait instead of
        pushing every later tick back, so the rate holds under load."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        try:
            while self._interest:
                if loop.time() - self._stalls_checked_at >= 1.0:
                    self._stalls_checked_at = loop.time()
                    self.check_stalls(loop.time())
                await self.publish_tick()
                interval = 1.0 / max(trading_settings.FEED_TICKS_PER_SECOND, 0.001)
                next_tick = max(next_tick + interval, loop.time() - interval)  # never a burst of catch-up ticks
                # Never a zero sleep: a busy loop would starve the sockets.
                await asyncio.sleep(max(next_tick - loop.time(), 0.001))
        finally:
            self._task = None


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FeedHub] = weakref.WeakKeyDictionary()


def hub() -> FeedHub:
    """This event loop's hub (a server process has one loop; each test has its own)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = FeedHub()
    return found
