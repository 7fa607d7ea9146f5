"""A client-side deadline on every SQL statement a request sends PostgreSQL.

``statement_timeout`` is enforced by the server, and connect_timeout covers connecting
only: a database that has stopped answering (a frozen host, a stuck proxy, a SIGSTOPped
server whose kernel still acknowledges packets) would hold a request thread on its
socket for as long as TCP lets it, and with enough threads held even ``/healthz`` would
wait. Each statement registers its deadline here (DATABASE_STATEMENT_TIMEOUT plus a
margin, so the server's own timeout normally comes first); one watchdog thread per
process shuts down the socket of a connection past its deadline, and the driver raises
OperationalError (config.database_errors answers 503). The broken connection is
discarded by the pool.
"""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time

MARGIN_SECONDS = 2.0
_lock = threading.Lock()
_running: dict[int, tuple[float, object]] = {}  # thread id -> (deadline, the driver's connection)
_watchdog: threading.Thread | None = None
_seconds = 10.0 + MARGIN_SECONDS


def _cut(driver_connection) -> None:
    try:
        duplicate = socket.socket(fileno=os.dup(driver_connection.pgconn.socket))
    except Exception:  # the connection is closed already: nothing to wake
        return
    with duplicate:
        try:
            duplicate.shutdown(socket.SHUT_RDWR)  # wakes the blocked read in the request's thread
        except OSError:
            pass


def _watch() -> None:
    while True:
        time.sleep(0.25)
        now = time.monotonic()
        with _lock:
            for thread_id, (deadline, driver_connection) in list(_running.items()):
                if now >= deadline:
                    del _running[thread_id]
                    _cut(driver_connection)


def start(statement_timeout: float) -> None:
    """Start this process's watchdog (once); deadlines are ``statement_timeout`` + margin."""
    global _watchdog, _seconds
    with _lock:
        _seconds = statement_timeout + MARGIN_SECONDS
        if _watchdog is None or not _watchdog.is_alive():
            _watchdog = threading.Thread(target=_watch, name="statement-deadline", daemon=True)
            _watchdog.start()


@contextlib.contextmanager
def deadline(driver_connection):
    thread_id = threading.get_ident()
    with _lock:
        _running[thread_id] = (time.monotonic() + _seconds, driver_connection)
    try:
        yield
    finally:
        with _lock:
            _running.pop(thread_id, None)


def _execute_with_deadline(execute, sql, params, many, context):
    with deadline(context["connection"].connection):
        return execute(sql, params, many, context)


class StatementDeadlineMiddleware:
    """Every statement of a request on PostgreSQL runs under the deadline."""

    def __init__(self, get_response) -> None:
        from django.conf import settings
        from django.db import connection

        self.get_response = get_response
        self.connection = connection
        self.active = connection.vendor == "postgresql"
        if self.active:
            start(settings.DATABASE_STATEMENT_TIMEOUT)

    def __call__(self, request):
        if not self.active:
            return self.get_response(request)
        with self.connection.execute_wrapper(_execute_with_deadline):
            return self.get_response(request)
