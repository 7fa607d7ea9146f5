"""Django's ASGI handler, serving each request's sync code in one hop on a reused thread.

Every HTTP view of Keyward is sync (DRF), and so is most of Django's middleware, which
under ASGI runs through ``MiddlewareMixin.__acall__``: a hop from the event loop to a
thread and back for each ``process_request`` and each ``process_response``, a dozen and
more per request here. py-spy put those hops (``SyncToAsync.__call__``,
``ThreadPoolExecutor.submit``) at the top of a plain ``/healthz``. This handler builds
the middleware chain in sync mode, the way a WSGI server runs it, and calls the whole
chain, view included, with one ``sync_to_async``. An async view would still work
(Django's sync path wraps it in ``async_to_sync``); there is none today.

Second: Django's ``ASGIHandler`` enters a fresh ``ThreadSensitiveContext`` per request, and
asgiref gives each such context a brand-new one-thread executor. So every request's sync
middleware, view and signal receivers run on a thread that did not exist before it, and
Django's database connections, which are per thread, are opened and closed once per
request whatever ``CONN_MAX_AGE`` says (Django ticket #33497). Under a live daphne that
new connection led what an authenticated API call cost over ``/healthz``
(bench/api_throughput.py; py-spy put ``get_new_connection`` on top of ``ping``'s own time).

asgiref (the pinned 3.13) lets the caller hand ``ThreadSensitiveContext`` an executor
that the caller owns. This handler leases a one-thread executor per request from a short list
of idle ones and gives it back when the request is done, which is the model of a WSGI
server's thread pool:

- a request still runs all its thread-sensitive code on one thread, as Django requires;
- that thread's connection is kept between requests and aged out by Django's own
  ``close_old_connections`` on ``request_started`` / ``request_finished`` (``CONN_MAX_AGE``,
  ``CONN_HEALTH_CHECKS``), which run on the request's thread;
- concurrency is not capped: when no idle thread is left a request gets a new one, as
  before; at most ``REQUEST_THREADS_KEPT`` are kept afterwards, the rest close their
  connections and end;
- a thread with work still queued or running when its request ends is never lent
  again: it finishes, closes its connections and ends. (Django waits for the view even
  when the client goes away, so this is a guard, not a path taken today.)
"""
from __future__ import annotations

import functools
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import connections

from config.request_turns import RequestTurns


class RequestThread(ThreadPoolExecutor):
    """One worker thread that knows whether it still has work queued or running."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="keyward-request")
        self._lock = threading.Lock()
        self._unfinished = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._unfinished += 1
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future) -> None:
        with self._lock:
            self._unfinished -= 1

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._unfinished == 0

    def retire(self, *, wait: bool = False) -> None:
        """Close this thread's database connections after its last job, then end it."""
        super().submit(connections.close_all)
        self.shutdown(wait=wait)


class RequestThreads:
    """Idle request threads, most recently used first (a warm thread serves next).

    A thread left idle for ``idle_seconds`` is retired on the next lease, so the extra
    threads of a burst do not hold database connections for good.
    """

    def __init__(self, keep: int, idle_seconds: float = 60.0) -> None:
        self.keep = max(keep, 0)
        self.idle_seconds = idle_seconds
        self._idle: deque[tuple[float, RequestThread]] = deque()  # (given back at, thread)

    def lease(self) -> RequestThread:
        now = time.monotonic()
        while self._idle and now - self._idle[0][0] > self.idle_seconds:
            self._idle.popleft()[1].retire()
        try:
            return self._idle.pop()[1]
        except IndexError:
            return RequestThread()

    def give_back(self, thread: RequestThread) -> None:
        if thread.idle and len(self._idle) < self.keep:
            self._idle.append((time.monotonic(), thread))
        else:
            thread.retire()

    def __len__(self) -> int:
        return len(self._idle)

    def close(self, *, wait: bool = False) -> None:
        """Retire every idle thread (tests and shutdown: no connection left open)."""
        while self._idle:
            self._idle.pop()[1].retire(wait=wait)


class ThreadReusingASGIHandler(ASGIHandler):
    """``ASGIHandler`` with a sync middleware chain, on a kept thread per request."""

    def __init__(self) -> None:
        self.turns = RequestTurns(settings.REQUEST_THREADS_RUNNING)
        super().__init__()
        self.threads = RequestThreads(keep=settings.REQUEST_THREADS_KEPT)

    def load_middleware(self, is_async: bool = False) -> None:
        # The chain a WSGI handler would build, entered from the event loop in one hop,
        # run when this request's thread gets one of the running turns.
        super().load_middleware(is_async=False)
        chain, turns = self._middleware_chain, self.turns

        @functools.wraps(chain)
        def run_chain(request):
            with turns.turn():
                return chain(request)

        self._middleware_chain = sync_to_async(run_chain, thread_sensitive=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # as ASGIHandler answers anything else
            return await super().__call__(scope, receive, send)
        thread = self.threads.lease()
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(thread)
