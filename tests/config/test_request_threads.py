"""The ASGI handler that serves HTTP (config/request_threads.py): one thread hop per
request into a sync middleware chain, on threads (and database connections) kept
between requests, and never lent again while still busy."""
from __future__ import annotations

import asyncio
import inspect
import threading
import time

import pytest
from django.core.signals import request_started
from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.utils.deprecation import MiddlewareMixin

from config import request_threads
from config.request_threads import RequestThread, RequestThreads, ThreadReusingASGIHandler
from tests.support.asgi import asgi_request

POOLED = "pool" in connection.settings_dict.get("OPTIONS", {})


class _record(list):
    """Threads a signal was sent on, until ``disconnect()``."""

    def __init__(self, signal) -> None:
        super().__init__()
        self._signal = signal
        signal.connect(self._receive, weak=False)

    def _receive(self, **kwargs) -> None:
        self.append(threading.get_ident())

    def disconnect(self) -> None:
        self._signal.disconnect(self._receive)


async def test_successive_requests_run_on_one_kept_thread(handler, committed_key):
    started = _record(request_started)
    try:
        for _ in range(5):
            status, body = await asgi_request(handler, "/api/v1/ping", [(b"x-api-key", committed_key.encode())])
            assert (status, b"pong" in body) == (200, True)
    finally:
        started.disconnect()
    assert len(started) == 5
    assert len(set(started)) == 1, "each request started a thread of its own"
    assert len(handler.threads) == 1


@pytest.mark.skipif(POOLED, reason="on PostgreSQL the pool, not the thread, keeps connections between requests")
async def test_database_connection_is_opened_once_for_successive_requests(handler, committed_key):
    opened = _record(connection_created)
    try:
        for _ in range(5):
            status, _body = await asgi_request(handler, "/api/v1/ping", [(b"x-api-key", committed_key.encode())])
            assert status == 200
    finally:
        opened.disconnect()
    assert len(opened) == 1, f"{len(opened)} database connections for 5 requests"


async def test_concurrent_requests_each_get_a_thread(handler, committed_key):
    headers = [(b"x-api-key", committed_key.encode())]
    # First use stamps last_used_at; after it the six only read (SQLite's in-memory
    # test database refuses concurrent writers from threads outright).
    assert (await asgi_request(handler, "/api/v1/ping", headers))[0] == 200
    started = _record(request_started)
    try:
        answers = await asyncio.gather(*(asgi_request(handler, "/api/v1/ping", headers) for _ in range(6)))
    finally:
        started.disconnect()
    assert [status for status, _ in answers] == [200] * 6
    assert 1 <= len(handler.threads) <= 6


async def test_middleware_chain_is_built_sync_and_entered_once(handler, db):
    """Django's own middleware in sync mode: no loop/thread hop per process_request and
    process_response, which under the stock handler cost more than the view itself."""
    status, body = await asgi_request(handler, "/healthz")
    assert (status, body) == (200, b'{"status": "ok"}')
    instances, chain = [], handler._middleware_chain
    layer = getattr(chain, "func", None)  # the one sync_to_async around the chain
    assert layer is not None, "the chain is not entered through sync_to_async"
    while layer is not None:
        instance = inspect.unwrap(layer)
        instances.append(instance)
        layer = getattr(instance, "get_response", None)
    mixins = [m for m in instances if isinstance(m, MiddlewareMixin)]
    assert mixins, instances
    assert not any(m.async_mode for m in mixins)


async def test_client_gone_mid_request_thread_finishes_the_view_then_serves_again(handler, db, settings):
    """Sync code cannot be interrupted: the handler waits for the view, then the thread
    goes back to the idle list clean and serves the next request."""
    settings.ROOT_URLCONF = "tests.config.slow_urls"
    from tests.config import slow_urls

    slow_urls.release.clear()
    slow_urls.entered.clear()
    disconnect = asyncio.Event()
    request = asyncio.create_task(asgi_request(handler, "/slow", disconnect=disconnect))
    assert await asyncio.to_thread(slow_urls.entered.wait, 10)
    disconnect.set()
    await asyncio.sleep(0.05)
    assert not request.done(), "the handler left while the view still ran on its thread"
    slow_urls.release.set()
    await asyncio.wait_for(request, 10)
    assert len(handler.threads) == 1
    status, body = await asgi_request(handler, "/fast")
    assert (status, body) == (200, b"fast")
    assert slow_urls.view_threads[-1] == slow_urls.view_threads[-2]


def test_busy_thread_is_retired_and_ends_after_its_work():
    threads = RequestThreads(keep=4)
    lent = threads.lease()
    gate, ran_on = threading.Event(), []
    lent.submit(lambda: (ran_on.append(threading.current_thread()), gate.wait(10)))
    threads.give_back(lent)
    assert len(threads) == 0
    assert threads.lease() is not lent
    gate.set()
    ran_on[0].join(10)
    assert not ran_on[0].is_alive()


def test_at_most_keep_threads_are_kept_and_the_rest_end():
    threads = RequestThreads(keep=2)
    lent = [threads.lease() for _ in range(5)]
    workers = [thread.submit(threading.current_thread).result(10) for thread in lent]
    for thread in lent:
        threads.give_back(thread)
    assert len(threads) == 2
    for worker in workers[2:]:
        worker.join(10)
    assert [w.is_alive() for w in workers] == [True, True, False, False, False]
    assert threads.lease() is lent[1], "the most recently used thread serves next"
    threads.give_back(lent[1])
    threads.close(wait=True)
    assert len(threads) == 0
    assert not any(w.is_alive() for w in workers)


def test_thread_idle_too_long_is_retired_on_the_next_lease():
    threads = RequestThreads(keep=4, idle_seconds=0.05)
    old, recent = threads.lease(), threads.lease()
    old_worker = old.submit(threading.current_thread).result(10)
    threads.give_back(old)
    time.sleep(0.1)
    threads.give_back(recent)
    assert threads.lease() is recent
    assert len(threads) == 0, "the thread idle past idle_seconds was lent or kept"
    old_worker.join(10)
    assert not old_worker.is_alive()


def test_retired_thread_closes_its_database_connection(transactional_db, monkeypatch):
    closed_on: list[int] = []
    real_close_all = connections.close_all

    class Connections:  # the real handler, noting which thread closed it
        def close_all(self):
            closed_on.append(threading.get_ident())
            real_close_all()

    monkeypatch.setattr(request_threads, "connections", Connections())
    thread = RequestThread()
    worker = thread.submit(threading.get_ident).result(10)

    def query():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return connections["default"]

    wrapper = thread.submit(query).result(10)
    assert wrapper.connection is not None
    thread.retire(wait=True)
    assert closed_on == [worker]
    if not getattr(wrapper, "is_in_memory_db", lambda: False)():  # Django never closes an in-memory SQLite database
        assert wrapper.connection is None


def test_keep_setting_is_read_from_settings(settings):
    settings.REQUEST_THREADS_KEPT = 3
    handler = ThreadReusingASGIHandler()
    assert handler.threads.keep == 3
    assert request_threads.RequestThreads(keep=-1).keep == 0


@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
async def test_anything_but_http_is_refused_as_django_does(handler, scope_type):
    with pytest.raises(ValueError):
        await handler({"type": scope_type}, None, None)


async def test_sync_code_inside_a_request_can_use_sync_to_async_again(handler, db, settings):
    """A nested sync_to_async from the request's sync code runs on that same thread
    (no deadlock on the one-thread executor)."""
    settings.ROOT_URLCONF = "tests.config.slow_urls"
    status, body = await asgi_request(handler, "/nested")
    assert (status, body) == (200, b"same-thread")
