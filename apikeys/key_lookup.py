"""The one indexed SELECT behind every platform-key request, compiled once.

Building this query through the ORM on each call (``usable()``, ``select_related``,
the filter) costs about ten times what the database then takes to answer it: measured
here, ~390 µs to compile and run vs ~40 µs to run, on a request whose whole budget is
well under a millisecond. So the ORM compiles it once per database alias, from the
very ``usable()`` queryset the rest of the code uses, and each call only binds the
digest, runs the SQL, applies the ORM's own converters (decryption stays lazy, dates are
parsed per backend) and builds the owner with ``Model.from_db``, the ORM's constructor
for loaded rows; the key itself comes back as a plain ``KeyRow`` (a model instance and
its descriptors cost more than the rest of the check). Nothing about which rows count
as usable lives here.

On a SQLite file, outside a transaction, the row is read through
``apikeys.sqlite_gil_read`` (a read that keeps the GIL; its docstring says why and how
it stays safe); if that reader cannot answer, or on PostgreSQL, the statement goes to
the driver's own cursor, with the checks Django's cursor makes
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
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.signals import setting_changed
from django.db import connections
from django.db.models import DEFERRED

from apikeys import sqlite_gil_read
from apikeys.models import PlatformApiKey

_DIGEST_PLACEHOLDER = "\x00keyward-lookup-digest\x00"
# What the key check reads of the key's row, and of its owner what an API request uses
# (request.user: id, name, active and staff flags). Nothing else is selected: fewer
# values to convert per request, and the owner's password hash is never loaded by an
# API call. A view that reads another user field still gets it (the ORM loads a
# deferred field on first access), at the price of a query.
KEY_COLUMNS = ("id", "key_hash", "lookup_digest", "order_mode", "last_used_at")
USER_COLUMNS = ("id", "username", "is_active", "is_staff", "is_superuser")


class KeyRow(NamedTuple):
    """The usable key's columns the check reads, and its owner as a model instance."""

    key_id: int
    key_hash: str | None
    lookup_digest: str
    order_mode: str
    last_used_at: datetime | None
    user: AbstractBaseUser


@dataclass(frozen=True)
class _Compiled:
    sql: str
    driver_sql: str
    params: tuple
    digest_index: int
    converters: dict
    key_columns: list[int]
    user_model: type[AbstractBaseUser]
    user_names: list[str]
    user_slots: list[tuple[int, int]]  # (position among the user model's fields, column)


_compiled: dict[str, _Compiled] = {}
_lock = threading.Lock()


def _compile(alias: str) -> _Compiled:
    user_model = get_user_model()
    user_fields = {field.name for field in user_model._meta.concrete_fields}
    queryset = (
        PlatformApiKey.objects.using(alias).usable().select_related("user")
        .filter(lookup_digest=_DIGEST_PLACEHOLDER).order_by()
        .only("user", *KEY_COLUMNS, *(f"user__{name}" for name in USER_COLUMNS if name in user_fields))
    )
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    info = compiler.klass_info
    (user_info,) = info["related_klass_infos"]
    attnames = [column[0].target.attname for column in compiler.select]
    key_positions = dict(zip([attnames[i] for i in info["select_fields"]], info["select_fields"]))
    user_attnames = [field.attname for field in user_model._meta.concrete_fields]
    user_columns = list(user_info["select_fields"])
    return _Compiled(
        sql=sql,
        driver_sql=_as_driver_takes_it(sql, connections[alias]),
        params=tuple(params),
        digest_index=list(params).index(_DIGEST_PLACEHOLDER),
        converters=compiler.get_converters([column[0] for column in compiler.select]),
        key_columns=[key_positions[name] for name in KEY_COLUMNS],
        user_model=user_model,
        user_names=[attnames[i] for i in user_columns],
        user_slots=[(user_attnames.index(attnames[i]), i) for i in user_columns],
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


def usable_key_by_digest(digest: str, *, alias: str = "default") -> KeyRow | None:
    """The usable key row whose lookup digest is ``digest``, with its owner."""
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
    # Every field's value in model order, DEFERRED where not selected: what from_db
    # would otherwise work out by searching the names for each field.
    values = [DEFERRED] * len(compiled.user_model._meta.concrete_fields)
    for slot, column in compiled.user_slots:
        values[slot] = row[column]
    user = compiled.user_model.from_db(alias, compiled.user_names, values)
    return KeyRow(*[row[i] for i in compiled.key_columns], user)


def _fetch_one(connection, compiled: _Compiled, params: list) -> tuple | None:
    if connection.queries_logged or connection.execute_wrappers or connection.vendor not in _DRIVER_CURSORS:
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchone()
    if connection.vendor == "sqlite" and _on_a_file(connection):
        connection.ensure_connection()  # Django's connection sets the reader's lifetime
        # Inside a transaction only this connection sees its own uncommitted writes.
        if connection.autocommit and not connection.in_atomic_block:
            row = sqlite_gil_read.read_one(
                str(connection.settings_dict["NAME"]), compiled.driver_sql, params, owner=connection.connection,
            )
            if row is not sqlite_gil_read.FELL_BACK:
                return row
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


def _on_a_file(connection) -> bool:
    return sqlite_gil_read.available() and not connection.is_in_memory_db()


# The backends Keyward runs on. SQLite: the driver's plain cursor (Django's adds only the
# rewrite done at compile time). PostgreSQL: the backend's create_cursor (time zone set up).
_DRIVER_CURSORS = {
    "sqlite": lambda connection: connection.connection.cursor(),
    "postgresql": lambda connection: connection.create_cursor(),
}


def _forget(*, setting: str, **kwargs) -> None:
    if setting in {"DATABASES", "AUTH_USER_MODEL"}:
        _compiled.clear()
        sqlite_gil_read.close_all()


setting_changed.connect(_forget)
