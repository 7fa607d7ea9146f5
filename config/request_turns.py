"""At most ``REQUEST_THREADS_RUNNING`` request threads run Django code at once; the others
wait their turn. A thread waiting on another service gives its turn away meanwhile.

Why: one daphne process runs every request's sync code in threads that share one GIL.
With as many running threads as open requests, each database call or lock releases the
GIL to one of dozens of runnable threads, and a thread that holds SQLite's write lock
waits behind all of them before its next statement. bench/soak.py (48 HTTP clients, one
process, SQLite, 30 s runs) measured with no limit: orders 18/s with p99 5.9 s, key
tests p99 4.2 s, the WebSocket ping p50 111 ms; with four running at once (the default;
two and eight did worse): orders 56/s with p99 0.9 s, key tests p99 1.5 s, the WebSocket
ping p50 22 ms, and about as many requests in all (131/s against 136/s). This
is a WSGI server's thread count (gunicorn's ``--threads``), placed around the middleware
chain so that a waiting request costs a parked thread and nothing else.

What a turn must not cover is a wait on someone else: a provider taking ten seconds to
answer a key test or the News Analyst would otherwise hold a turn that the trading API
needs. ``apikeys.providers`` makes every outbound call inside ``waiting_elsewhere()``,
which hands the turn back for the length of the call and queues for one after it. Not
inside a database transaction, though: on SQLite that thread holds the write lock, and
queueing for a turn behind threads that wait for that lock would deadlock them all until
the busy timeout. No code calls a provider inside one today; this keeps it safe if some
does.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from django.db import connections


class RequestTurns:
    def __init__(self, size: int) -> None:
        self.size = max(size, 0)  # 0: no limit
        self._free = threading.Semaphore(self.size) if self.size else None

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Run the body as one of at most ``size`` request threads."""
        if self._free is None or getattr(_current, "turns", None) is not None:
            yield  # no limit, or this thread already holds a turn (nested call)
            return
        self._free.acquire()
        _current.turns = self
        try:
            yield
        finally:
            _current.turns = None
            self._free.release()

    def _give_back(self) -> None:
        self._free.release()

    def _take_again(self) -> None:
        self._free.acquire()


_current = threading.local()  # .turns: the RequestTurns whose turn this thread holds


def _in_transaction() -> bool:
    return any(connection.in_atomic_block for connection in connections.all(initialized_only=True))


@contextlib.contextmanager
def waiting_elsewhere() -> Iterator[None]:
    """Around a wait on another service: this thread's turn (if any) goes to another
    request meanwhile. Outside a request (a command, a consumer, a test) it does nothing."""
    turns = getattr(_current, "turns", None)
    if turns is None or _in_transaction():
        yield
        return
    turns._give_back()
    try:
        yield
    finally:
        turns._take_again()
