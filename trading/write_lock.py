"""One order-writing transaction at a time per process on SQLite, queued on a lock.

SQLite lets one connection write at a time. A connection that finds the write lock taken
waits in SQLite's busy handler, which polls by sleeping (naps growing to 100 ms): under
many concurrent orders a waiting request keeps missing the moments the lock is free, and
some wait seconds while others pass (bench/order_latency.py). Order calls of one process
wait here instead, on a lock that wakes a waiter as soon as the holder is done. With
another database (PostgreSQL's row locks), inside an open transaction, or with
SQLITE_QUEUE_ORDER_WRITES off (to measure the difference) it does nothing.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

from trading.conf import app_settings

_writer = threading.Lock()


@contextmanager
def order_writes() -> Iterator[None]:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "sqlite" or connection.in_atomic_block or not app_settings.SQLITE_QUEUE_ORDER_WRITES:
        yield
        return
    with _writer:
        yield
