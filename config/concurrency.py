"""At most ASGI_MAX_CONCURRENT_REQUESTS HTTP requests inside Django at once, per ASGI
process (daphne under ``make run``, uvicorn in the production layout).

Django's ASGI handler runs each request's sync code on a thread of its own, so a burst
of 600 requests would mean 600 threads holding 600 database connections (SQLite: a few
file descriptors each), and past the process's descriptor limit requests fail with
"unable to open database file". Requests over the limit wait here, on the event loop,
holding nothing but their socket. WebSocket connections are not counted.
"""
from __future__ import annotations

import asyncio


class ConcurrencyLimit:
    def __init__(self, app, limit: int) -> None:
        if limit < 1:
            raise ValueError("the limit must be at least 1")
        self.app = app
        self._slots = asyncio.Semaphore(limit)  # binds to the serving loop on first use

    async def __call__(self, scope, receive, send) -> None:
        async with self._slots:
            await self.app(scope, receive, send)
