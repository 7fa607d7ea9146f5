"""Per-key rate limits ("10/s"): a fixed-window count per key in the shared cache.

The count is kept in ``config.shared_cache`` (Redis when REDIS_URL is set, so every
process counts against one limit; this process's memory while Redis is down). The
window's requests are numbered 1..limit by that one counter, and a process takes them in
*leases*: one ``INCRBY`` claims the next ``batch`` numbers, which it then hands out from
memory. Every number is handed out by at most one process, so no window ever admits more
than the limit, whatever the number of processes. ``batch`` is 1 for limits under 40 per
window (every request is one increment: exact), and grows with the limit up to 50 (one
increment per 50 requests), so a high limit does not cost a Redis round trip per request.
The price: numbers a process claimed but did not use before the window ended are lost,
at most ``batch - 1`` per process and window, i.e. under 5 % of the limit per process.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from config.shared_cache import shared_cache

MAX_BATCH = 50
REMEMBERED_KEYS = 10_000


@dataclass
class _Lease:
    rate: tuple[int, int]
    window: int
    next: int  # the next number this process may hand out
    last: int  # the last one it claimed that is within the limit


_leases: dict[int, _Lease] = {}
_lock = threading.Lock()


def batch_for(allowed: int) -> int:
    return max(1, min(allowed // 20, MAX_BATCH))


def _counter(key_id: int, window: int) -> str:
    return f"keyward:key_rate:{key_id}:{window}"


def wait_for(key_id: int, rate: tuple[int, int], now: float | None = None) -> int | None:
    """Count one request of ``key_id``; seconds to wait if it is past ``rate``, else None."""
    allowed, seconds = rate
    now = time.time() if now is None else now
    window = int(now // seconds)
    with _lock:
        lease = _leases.get(key_id)
        if lease is not None and lease.rate == rate and lease.window == window and lease.next <= lease.last:
            lease.next += 1
            return None
    batch = batch_for(allowed)
    total = _claim(_counter(key_id, window), batch, seconds)
    first = total - batch + 1
    if first > allowed:
        return max(1, int((window + 1) * seconds - now + 0.999))
    with _lock:
        if len(_leases) >= REMEMBERED_KEYS and key_id not in _leases:
            _leases.clear()
        _leases[key_id] = _Lease(rate=rate, window=window, next=first + 1, last=min(total, allowed))
    return None


def _claim(counter: str, batch: int, seconds: int) -> int:
    """The counter after adding ``batch`` (created with an expiry by the window's first claim)."""
    try:
        return shared_cache.incr(counter, batch)
    except ValueError:  # the window's first claim (or its counter just expired)
        if shared_cache.add(counter, batch, timeout=seconds + 1):
            return batch
        return shared_cache.incr(counter, batch)  # another process created it meanwhile


def forget() -> None:
    """Drop this process's leases (tests; the shared counts are untouched)."""
    with _lock:
        _leases.clear()
