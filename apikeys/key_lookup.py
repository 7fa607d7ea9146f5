"""The one indexed SELECT behind every platform-key request, compiled once.

Building this query through the ORM on each call (``usable()``, ``select_related``,
the filter) costs about ten times what the database then takes to answer it: measured
here, ~390 µs to compile and run vs ~40 µs to run, on a request whose whole budget is
well under a millisecond. So the ORM compiles it once per database alias, from the
very ``usable()`` queryset the rest of the code uses, and each call only binds the
digest, runs the SQL, applies the ORM's own converters (decryption stays lazy, dates are
parsed per backend) and builds the instances with ``Model.from_db``, the ORM's
constructor for loaded rows. Nothing about which rows count as usable lives here.

The statement goes to the driver's own cursor, with the checks Django's cursor makes
(health check, connection, broken transaction, error wrapping) made here. Django's
cursor wrapper costs more than the query itself on this path: its SQLite backend
rewrites ``%s`` to ``?`` with a regex over the whole statement on every execute, ~25 µs
for this one, so that rewrite is done once at compile time. When Django is recording
queries (DEBUG, ``assertNumQueries``, ``CaptureQueriesContext``) or an
``execute_wrapper`` is installed, the query goes through Django's cursor as any other,
so it is logged and counted like the rest.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.signals import setting_changed
from django.db import connections

from apikeys.models import PlatformApiKey

_DIGEST_PLACEHOLDER = "\x00keyward-lookup-digest\x00"
# Columns verification never reads (the row does not leave apikeys.verification): left
# out of the SELECT, so each request converts and sets fewer values. Reading one of
# them later still works; the ORM loads a deferred field on first access.
NOT_READ_BY_VERIFY = ("key_encrypted", "created_at", "updated_at", "revoked_at")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    driver_sql: str
    params: tuple
    digest_index: int
    converters: dict
    key_columns: list[int]
    key_names: list[str]
    user_columns: list[int]
    user_names: list[str]


_compiled: dict[str, _Compiled] = {}
_lock = threading.Lock()


def _compile(alias: str) -> _Compiled:
    queryset = (
        PlatformApiKey.objects.using(alias).usable().select_related("user")
        .filter(lookup_digest=_DIGEST_PLACEHOLDER).order_by().defer(*NOT_READ_BY_VERIFY)
    )
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    info = compiler.klass_info
    (user_info,) = info["related_klass_infos"]
    key_columns, user_columns = list(info["select_fields"]), list(user_info["select_fields"])
    return _Compiled(
        sql=sql,
        driver_sql=_as_driver_takes_it(sql, connections[alias]),
        params=tuple(params),
        digest_index=list(params).index(_DIGEST_PLACEHOLDER),
        converters=compiler.get_converters([column[0] for column in compiler.select]),
        key_columns=key_columns,
        key_names=[compiler.select[i][0].target.attname for i in key_columns],
        user_columns=user_columns,
        user_names=[compiler.select[i][0].target.attname for i in user_columns],
    )


def _as_driver_takes_it(sql: str, connection) -> str:
    """``sql`` as the DB-API driver takes it (what Django's cursor would send)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # the backend's own rewrite, applied once
            return cursor.cursor.convert_query(sql)
    return sql


def _compiled_for(alias: str) -> _Compiled:
    found = _compiled.get(alias)
    if found is None:
        with _lock:
            found = _compiled.get(alias) or _compiled.setdefault(alias, _compile(alias))
    return found


def usable_key_by_digest(digest: str, *, alias: str = "default") -> PlatformApiKey | None:
    """The usable key row whose lookup digest is ``digest``, with ``.user`` loaded."""
    compiled = _compiled_for(alias)
    params = list(compiled.params)
    params[compiled.digest_index] = digest
    connection = connections[alias]  # this thread's own
    row = _fetch_one(connection, compiled, params)
    if row is None:
        return None
    row = list(row)
    for position, (converters, expression) in compiled.converters.items():  # as SQLCompiler.apply_converters
        for converter in converters:
            row[position] = converter(row[position], expression, connection)
    key = PlatformApiKey.from_db(alias, compiled.key_names, [row[i] for i in compiled.key_columns])
    key.user = get_user_model().from_db(alias, compiled.user_names, [row[i] for i in compiled.user_columns])
    return key


def _fetch_one(connection, compiled: _Compiled, params: list) -> tuple | None:
    if connection.queries_logged or connection.execute_wrappers or connection.vendor not in _DRIVER_CURSORS:
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchone()
    # What BaseDatabaseWrapper._cursor and CursorWrapper._execute check, in that order.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = _DRIVER_CURSORS[connection.vendor](connection)
        try:
            cursor.execute(compiled.driver_sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()


# The backends Keyward runs on. SQLite: the driver's plain cursor (Django's adds only the
# rewrite done at compile time). PostgreSQL: the backend's create_cursor (time zone set up).
_DRIVER_CURSORS = {
    "sqlite": lambda connection: connection.connection.cursor(),
    "postgresql": lambda connection: connection.create_cursor(),
}


def _forget(*, setting: str, **kwargs) -> None:
    if setting in {"DATABASES", "AUTH_USER_MODEL"}:
        _compiled.clear()


setting_changed.connect(_forget)
