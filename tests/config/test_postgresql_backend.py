"""config/postgresql: a connection is checked before a request uses it without a round
trip to the server while the server has said nothing, and one the server dropped is
still never used. PostgreSQL only (CI's second pass); real backends are terminated."""
from __future__ import annotations

import asyncio
import contextlib
import copy
import select
import tempfile
import time
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection

from config.postgresql.base import DatabaseWrapper
from tests.support.asgi import asgi_request

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@pytest.fixture
def wrappers(transactional_db) -> Iterator:
    """Builds connections to the test database as settings make them: persistent with
    Django's health checks, or from a pool of one (so a checkout is the same connection)."""
    made = []

    def make(*, pooled: bool, pool_checks: bool = False) -> DatabaseWrapper:
        settings = copy.deepcopy(connection.settings_dict)
        options = settings.setdefault("OPTIONS", {})
        options.pop("pool", None)
        if pooled:
            options["pool"] = {"min_size": 1, "max_size": 1, "timeout": 10}
        settings.update(CONN_MAX_AGE=0 if pooled else 60, CONN_HEALTH_CHECKS=pool_checks or not pooled)
        wrapper = DatabaseWrapper(settings, alias=f"check-{uuid.uuid4().hex[:8]}")
        made.append(wrapper)
        return wrapper

    yield make
    for wrapper in made:
        wrapper.close()
        wrapper.close_pool()


def drop(raw) -> None:
    """Terminate ``raw``'s server process, as a restart or an operator would, and wait for
    the server's goodbye to reach its socket."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [raw.info.backend_pid])
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN)
    assert poller.poll(5000), "the server did not drop the connection"


@contextlib.contextmanager
def sent_to_server(raw) -> Iterator[list[str]]:
    """What the client sends on ``raw`` meanwhile, from libpq's protocol trace."""
    lines: list[str] = []
    with tempfile.TemporaryFile("w+") as trace:  # libpq writes the trace to a descriptor
        raw.pgconn.trace(trace.fileno())
        try:
            yield lines
        finally:
            raw.pgconn.untrace()
            trace.seek(0)
            lines += [line for line in trace.read().splitlines() if "\tF\t" in line]  # F: frontend (client) messages


def test_a_kept_connection_is_checked_without_asking_the_server(wrappers):
    db = wrappers(pooled=False)
    db.ensure_connection()
    raw = db.connection
    db.health_check_done = False  # as at the start of the next request
    with sent_to_server(raw) as checked:
        db.close_if_health_check_failed()
    assert db.connection is raw
    assert checked == []
    with sent_to_server(raw) as queried, db.cursor() as cursor:  # the control: a query shows in the trace
        cursor.execute("SELECT 1")
    assert any("Query" in line or "Parse" in line for line in queried)


def test_a_kept_connection_the_server_dropped_is_replaced_before_use(wrappers):
    db = wrappers(pooled=False)
    db.ensure_connection()
    dropped = db.connection.info.backend_pid
    drop(db.connection)
    db.health_check_done = False
    db.close_if_health_check_failed()
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != dropped


def test_a_pooled_checkout_does_not_ask_the_server(wrappers):
    db = wrappers(pooled=True)
    db.connect()
    raw = db.connection
    with sent_to_server(raw) as checked:
        db.close()  # back to the pool
        db.connect()  # the next request's checkout
    assert db.connection is raw
    assert checked == []


@pytest.mark.parametrize("pool_checks", [False, True], ids=["checked here", "checked by the pool"])
def test_a_pooled_connection_the_server_dropped_is_not_handed_out(wrappers, pool_checks):
    """As settings pool (CONN_HEALTH_CHECKS off: the backend checks), and with the pool's
    own check left on (the backend then leaves it to the pool)."""
    db = wrappers(pooled=True, pool_checks=pool_checks)
    db.connect()
    raw, dropped = db.connection, db.connection.info.backend_pid
    db.close()
    drop(raw)
    db.connect()
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != dropped


def test_requests_still_answer_after_the_server_dropped_every_connection(handler, committed_key):
    """What a user sees after a database restart: the next requests answer, none fails.
    (Sync test: this thread's own connection is the one kept.)"""
    headers = [(b"x-api-key", committed_key.encode())]

    def status(path: str) -> int:
        return asyncio.run(asgi_request(handler, path, headers))[0]

    assert status("/api/v1/ping") == 200
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")
        assert cursor.fetchall(), "no connection of the handler's to drop"
        deadline = time.monotonic() + 5
        while True:
            cursor.execute(f"SELECT count(*) {others}")
            if cursor.fetchone()[0] == 0:
                break
            assert time.monotonic() < deadline, "the server kept the connections"
            time.sleep(0.05)
    assert [status(path) for path in ("/api/v1/ping", "/readyz", "/api/v1/ping")] == [200, 200, 200]
