"""At most REQUEST_THREADS_RUNNING request threads run Django code at once
(config/request_turns.py), and a thread waiting on a provider gives its turn away."""
from __future__ import annotations

import asyncio
import threading

import pytest
from django.db import transaction
from werkzeug import Response

from config.request_threads import ThreadReusingASGIHandler
from config.request_turns import RequestTurns, waiting_elsewhere
from tests.config import slow_urls
from tests.support.asgi import asgi_request

WAIT = 10  # seconds: an upper bound for what must happen, never a measured time
NOT_YET = 0.3  # seconds to be sure a thread that must wait is still waiting


def _in_thread(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_at_most_size_threads_hold_a_turn_and_a_freed_turn_goes_to_a_waiter():
    turns, release, inside = RequestTurns(2), threading.Event(), []
    entered = threading.Semaphore(0)

    def request(name):
        with turns.turn():
            inside.append(name)
            entered.release()
            release.wait(WAIT)
            inside.remove(name)

    first, second = _in_thread(lambda: request("a")), _in_thread(lambda: request("b"))
    assert entered.acquire(timeout=WAIT) and entered.acquire(timeout=WAIT)
    third = _in_thread(lambda: request("c"))
    assert not entered.acquire(timeout=NOT_YET), "a third thread ran while two held the turns"
    assert sorted(inside) == ["a", "b"]
    release.set()
    assert entered.acquire(timeout=WAIT)  # the third gets a turn once one is free
    for thread in (first, second, third):
        thread.join(WAIT)
    assert inside == []


def test_waiting_elsewhere_lends_the_turn_and_takes_one_back_after():
    turns = RequestTurns(1)
    in_the_wait, answer_arrives, other_done, order = threading.Event(), threading.Event(), threading.Event(), []

    def slow_provider_caller():
        with turns.turn():
            with waiting_elsewhere():
                in_the_wait.set()
                answer_arrives.wait(WAIT)
            order.append("caller resumed")

    def other_request():
        with turns.turn():
            order.append("other ran")
        other_done.set()

    caller = _in_thread(slow_provider_caller)
    assert in_the_wait.wait(WAIT)
    _in_thread(other_request)
    assert other_done.wait(WAIT), "the other request waited for the provider's answer"
    answer_arrives.set()
    caller.join(WAIT)
    assert order == ["other ran", "caller resumed"]


def test_inside_a_transaction_the_turn_is_kept_while_waiting_elsewhere(transactional_db):
    """On SQLite the transaction holds the write lock: lending the turn and queueing for
    one behind threads that wait for that lock would deadlock them."""
    turns = RequestTurns(1)
    other_ran = threading.Event()

    def other_request():
        with turns.turn():
            other_ran.set()

    with turns.turn(), transaction.atomic():
        with waiting_elsewhere():
            _in_thread(other_request)
            assert not other_ran.wait(NOT_YET), "the turn was lent from inside a transaction"
    assert other_ran.wait(WAIT)


def test_a_turn_is_freed_when_the_request_raises():
    turns = RequestTurns(1)
    with pytest.raises(RuntimeError):
        with turns.turn():
            raise RuntimeError("view failed")
    done = threading.Event()
    _in_thread(lambda: (turns.turn().__enter__(), done.set()))
    assert done.wait(WAIT)


def test_nested_turns_and_waits_outside_a_request_never_block():
    turns = RequestTurns(1)
    with turns.turn():
        with turns.turn():  # e.g. sync code calling back into sync code on its own thread
            pass
    with waiting_elsewhere():  # a management command or a consumer: no turn held
        pass


def test_size_zero_means_no_limit():
    turns, barrier = RequestTurns(0), threading.Barrier(5, timeout=WAIT)

    def request():
        with turns.turn():
            barrier.wait()  # all five inside at once, or BrokenBarrierError

    threads = [_in_thread(request) for _ in range(5)]
    for thread in threads:
        thread.join(WAIT)
    assert not barrier.broken


@pytest.fixture
def one_turn_handler(settings):
    settings.REQUEST_THREADS_RUNNING = 1
    settings.ROOT_URLCONF = "tests.config.slow_urls"
    handler = ThreadReusingASGIHandler()
    yield handler
    handler.threads.close(wait=True)


async def test_with_one_turn_a_second_request_waits_for_the_first(one_turn_handler, db):
    slow_urls.release.clear()
    slow_urls.entered.clear()
    slow = asyncio.create_task(asgi_request(one_turn_handler, "/slow"))
    assert await asyncio.to_thread(slow_urls.entered.wait, WAIT)
    fast = asyncio.create_task(asgi_request(one_turn_handler, "/fast"))
    await asyncio.sleep(NOT_YET)
    assert not fast.done(), "a second request ran while the only turn was taken"
    slow_urls.release.set()
    assert await asyncio.wait_for(slow, WAIT) == (200, b"slow")
    assert await asyncio.wait_for(fast, WAIT) == (200, b"fast")


async def test_a_provider_taking_its_time_does_not_hold_the_only_turn(one_turn_handler, db, httpserver, settings):
    """A key test waiting on NewsAPI (a local fake that answers only when told) while
    another request comes in: with one turn, that request is served meanwhile."""
    provider_called, answer = threading.Event(), threading.Event()

    def news_api(request):
        provider_called.set()
        answer.wait(WAIT)
        return Response('{"status": "ok", "totalResults": 0, "articles": []}', content_type="application/json")

    httpserver.expect_request("/v2/top-headlines").respond_with_handler(news_api)
    settings.NEWS_API_BASE_URL = httpserver.url_for("").rstrip("/")
    settings.PROVIDER_TIMEOUT_SECONDS = WAIT
    key_test = asyncio.create_task(asgi_request(one_turn_handler, "/provider"))
    assert await asyncio.to_thread(provider_called.wait, WAIT)
    assert await asyncio.wait_for(asgi_request(one_turn_handler, "/fast"), WAIT) == (200, b"fast")
    assert not key_test.done()
    answer.set()
    assert await asyncio.wait_for(key_test, WAIT) == (200, b"ok")
