"""Django's PostgreSQL backend whose connection check costs no round trip when the server
has said nothing.

Django checks a connection before a request uses it: ``SELECT 1`` for a persistent
connection (``CONN_HEALTH_CHECKS``), or the pool's own ``check_connection``, an empty
query, on every checkout. Either is a round trip to the server per request, as much as
the one query a platform-key request makes. In bench/api_throughput.py's recorded runs
(bench/RESULTS.md, same machine, same day), readyz, which reads one row, went from 0.71 to
0.79 of healthz's requests/s, and its context switches per request from 36 to 29, once
the check stopped asking the server.

A connection that the server has dropped has something waiting on its socket: PostgreSQL
sends an error ("terminating connection due to administrator command", an idle timeout)
and closes it, on a restart, a ``pg_terminate_backend``, a pooler's reap. An idle
connection in autocommit otherwise receives nothing unprompted. So the check here is a
zero-timeout ``poll`` of the socket, the way go-sql-driver/mysql checks a pooled
connection before reusing it: nothing waiting, and the connection is idle, means usable;
anything waiting (or a transaction left open) and the usual round trip decides. What this
cannot see, a peer that vanished without a word (a cut network), the round trip would
only have seen after its own timeout.
"""
from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool


def server_is_silent(connection) -> bool:
    """True if ``connection`` (psycopg) is open, idle, and nothing from the server is
    waiting on its socket: usable, without asking the server."""
    if connection.closed or connection.broken:
        return False
    if connection.info.transaction_status != TransactionStatus.IDLE or not hasattr(select, "poll"):
        return False
    poller = select.poll()  # select.select() cannot take a descriptor above 1023
    poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


def answers(connection) -> bool:
    """The pool's own check: one empty query. False if the connection is dead."""
    try:
        ConnectionPool.check_connection(connection)
    except Exception:  # noqa: BLE001 - whatever failed, this connection is not usable
        return False
    return True


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """A persistent connection's check (``CONN_HEALTH_CHECKS``), once per request."""
        if self.connection is not None and server_is_silent(self.connection):
            return True
        return super().is_usable()

    def get_new_connection(self, conn_params):
        """From the pool, checked here rather than by the pool. Settings turn
        ``CONN_HEALTH_CHECKS`` off when pooling, so that Django gives the pool no check of
        its own (a round trip per checkout); left on, the pool has checked it already. A
        dropped connection is closed and handed back, which makes the pool discard it and
        open another, and the next one is tried."""
        connection = super().get_new_connection(conn_params)
        pool = self.pool
        if pool is None or self.settings_dict["CONN_HEALTH_CHECKS"]:
            return connection
        for _ in range(pool.max_size):
            if server_is_silent(connection) or answers(connection):
                return connection
            connection.close()
            pool.putconn(connection)
            connection = super().get_new_connection(conn_params)
        return connection  # every connection the pool held was dropped: this one is new
