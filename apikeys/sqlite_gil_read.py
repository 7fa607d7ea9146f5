"""One-row reads from SQLite that keep the GIL, for the key check every API request makes.

Why: CPython 3.11's ``sqlite3`` gives up the GIL around every call into SQLite, even the
ones that take nanoseconds: a one-row SELECT releases it five times (column count, step,
data count, step, reset). Under daphne another thread (the event loop, another request)
is nearly always waiting for the GIL, so each release wakes it on the other core and the
request thread then waits to get the GIL back. bench/api_throughput.py, same machine and
day, unpinned: through the sqlite3 module a ``ping`` cost the server 31 context switches
and ~820 µs of CPU more than ``/healthz`` (16 switches); read here, 16.6 switches and
~380 µs more. The read itself takes microseconds: the pages are in SQLite's or the OS's cache.

So the key row is read here through ``ctypes.PyDLL`` (calls that keep the GIL) on a
read-only connection of this thread's own, to the same database file. No library does
this: apsw and pysqlite3 release the GIL the same way. Safety rules kept:

- the very libsqlite3 that ``_sqlite3`` is linked with: its symbols are looked up through
  the extension module's own handle. Two copies of SQLite in one process would each keep
  their own table of POSIX locks and could release each other's (sqlite.org/howtocorrupt
  §2.2.1), so if the module's SQLite cannot be reached that way this reader is off;
- it never waits: no busy timeout (a wait would hold the GIL), and anything but a row or
  the end of the rows (busy, locked, an error) makes ``read_one`` return ``FELL_BACK``,
  and the caller reads through Django as before;
- it sees committed data only, which is what the key check wants (a revoke takes effect
  on the next request). Inside a transaction the caller must not use it (that
  transaction's own writes would not be seen): ``key_lookup`` checks;
- its connection lives no longer than the thread's Django connection (a new one from
  Django, after CONN_MAX_AGE or an error, means a new one here) and closes with the thread;
- values come back as the ``sqlite3`` module with Django's options would give them: the
  column's declared type picks a converter from ``sqlite3.converters`` (Django's bool and
  datetime), else integer, float, text or bytes by the value's storage class.
"""
from __future__ import annotations

import ctypes
import logging
import sqlite3
import threading

import _sqlite3

logger = logging.getLogger(__name__)

SQLITE_OK, SQLITE_ROW, SQLITE_DONE = 0, 100, 101
SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL = 1, 2, 3, 4, 5
SQLITE_OPEN_READONLY, SQLITE_OPEN_URI, SQLITE_OPEN_NOMUTEX = 0x1, 0x40, 0x8000
SQLITE_TRANSIENT = ctypes.c_void_p(-1)  # SQLite copies bound values

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
FELL_BACK = object()  # read_one could not answer; read the usual way


_VOID_P, _INT, _CHAR_P = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
_SIGNATURES = {  # name: (return type, argument types)
    "sqlite3_libversion": (_CHAR_P, []),
    "sqlite3_open_v2": (_INT, [_CHAR_P, ctypes.POINTER(_VOID_P), _INT, _CHAR_P]),
    "sqlite3_close_v2": (_INT, [_VOID_P]),
    "sqlite3_prepare_v2": (_INT, [_VOID_P, _CHAR_P, _INT, ctypes.POINTER(_VOID_P), _VOID_P]),
    "sqlite3_finalize": (_INT, [_VOID_P]),
    "sqlite3_bind_int64": (_INT, [_VOID_P, _INT, ctypes.c_int64]),
    "sqlite3_bind_double": (_INT, [_VOID_P, _INT, ctypes.c_double]),
    "sqlite3_bind_null": (_INT, [_VOID_P, _INT]),
    "sqlite3_bind_text": (_INT, [_VOID_P, _INT, _CHAR_P, _INT, _VOID_P]),
    "sqlite3_bind_blob": (_INT, [_VOID_P, _INT, _CHAR_P, _INT, _VOID_P]),
    "sqlite3_column_count": (_INT, [_VOID_P]),
    "sqlite3_column_decltype": (_CHAR_P, [_VOID_P, _INT]),
    "sqlite3_column_name": (_CHAR_P, [_VOID_P, _INT]),
    # Called per column of every row: no argtypes, which halves what a call costs. Only
    # ever called with (a c_void_p statement, a small int), which ctypes then passes as
    # they are.
    "sqlite3_step": (_INT, None),
    "sqlite3_reset": (_INT, None),
    "sqlite3_column_type": (_INT, None),
    "sqlite3_column_int64": (ctypes.c_int64, None),
    "sqlite3_column_double": (ctypes.c_double, None),
    "sqlite3_column_blob": (_VOID_P, None),
    "sqlite3_column_text": (_CHAR_P, None),  # ctypes makes the bytes (up to a NUL); None for NULL
    "sqlite3_column_bytes": (_INT, None),
}


def _bind_library():
    """The ``_sqlite3`` module's own libsqlite3, calls keeping the GIL; None if unreachable."""
    try:
        lib = ctypes.PyDLL(_sqlite3.__file__)  # already loaded: dlopen hands back its handle
        for name, (restype, argtypes) in _SIGNATURES.items():
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes
    except (OSError, AttributeError) as exc:  # no shared library, or its symbols are hidden
        logger.info("SQLite key reads go through the sqlite3 module (%s)", type(exc).__name__)
        return None
    if lib.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        logger.info("SQLite key reads go through the sqlite3 module (library versions differ)")
        return None
    return lib


_lib = _bind_library()


def available() -> bool:
    return _lib is not None


def _converter_for(decltype: bytes | None):
    """The converter the sqlite3 module would apply (PARSE_DECLTYPES): the declared type's
    first word, upper-cased, looked up in ``sqlite3.converters``."""
    if not decltype:
        return None
    name = decltype.decode().split("(", 1)[0].split(" ", 1)[0].upper()
    return sqlite3.converters.get(name)


class _Statement:
    def __init__(self, handle: ctypes.c_void_p) -> None:
        self.handle = handle
        count = _lib.sqlite3_column_count(handle)
        self.converters = [_converter_for(_lib.sqlite3_column_decltype(handle, i)) for i in range(count)]
        # PARSE_COLNAMES ("name [type]") would pick another converter: not handled here.
        self.supported = not any(b"[" in (_lib.sqlite3_column_name(handle, i) or b"") for i in range(count))


class _Connection:
    """A read-only SQLite connection of one thread, with its prepared statements.

    It lives as long as the thread's Django connection it stands beside (``owner``): when
    Django reconnects (CONN_MAX_AGE, an error, a database file replaced), so does this.
    """

    def __init__(self, path: str, owner: object) -> None:
        self.owner = owner
        handle = ctypes.c_void_p()
        rc = _lib.sqlite3_open_v2(
            path.encode(), ctypes.byref(handle), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, None,
        )
        self.handle = handle
        self.statements: dict[str, _Statement | None] = {}
        if rc != SQLITE_OK:
            self.close()
            raise OSError(f"sqlite3_open_v2 returned {rc}")

    def statement(self, sql: str) -> _Statement | None:
        try:
            return self.statements[sql]
        except KeyError:
            pass
        handle = ctypes.c_void_p()
        encoded = sql.encode()
        rc = _lib.sqlite3_prepare_v2(self.handle, encoded, len(encoded), ctypes.byref(handle), None)
        # A statement that does not prepare (no such table yet: a database not migrated)
        # is tried again next time rather than remembered as broken.
        if rc != SQLITE_OK or not handle.value:
            if handle.value:
                _lib.sqlite3_finalize(handle)
            return None
        statement = _Statement(handle)
        if not statement.supported:
            _lib.sqlite3_finalize(handle)
            statement = None
        self.statements[sql] = statement
        return statement

    def close(self) -> None:
        for statement in self.statements.values():
            if statement is not None:
                _lib.sqlite3_finalize(statement.handle)
        self.statements.clear()
        if self.handle.value:
            _lib.sqlite3_close_v2(self.handle)
            self.handle = ctypes.c_void_p()

    def __del__(self) -> None:  # the thread ended: its thread-local connections go with it
        if _lib is not None:
            self.close()


class _ThreadConnections(threading.local):
    def __init__(self) -> None:
        self.by_path: dict[str, _Connection] = {}


_connections = _ThreadConnections()


def close_all() -> None:
    """Close this thread's connections (settings changed, tests)."""
    for connection in _connections.by_path.values():
        connection.close()
    _connections.by_path.clear()


def read_one(path: str, sql: str, params: list, *, owner: object) -> tuple | None | object:
    """The first row of ``sql`` (``?`` placeholders) on the database file at ``path``,
    None if there is none, or ``FELL_BACK`` if this reader could not answer. ``owner``:
    this thread's Django connection to the same file (see ``_Connection``)."""
    if _lib is None:
        return FELL_BACK
    connection = _connections.by_path.get(path)
    if connection is None or connection.owner is not owner:
        if connection is not None:
            connection.close()
        try:
            connection = _connections.by_path[path] = _Connection(path, owner)
        except OSError:
            _connections.by_path.pop(path, None)
            return FELL_BACK
    statement = connection.statement(sql)
    if statement is None:
        return FELL_BACK
    stmt = statement.handle
    try:
        if not _bind(stmt, params):
            return FELL_BACK
        rc = _step(stmt)
        if rc == SQLITE_DONE:
            return None
        if rc != SQLITE_ROW:
            return FELL_BACK
        return _row(stmt, statement.converters)
    except (UnicodeDecodeError, MemoryError):  # the sqlite3 module will say what is wrong
        return FELL_BACK
    finally:
        _reset(stmt)  # ends the read transaction: never hold a WAL snapshot


def _bind(stmt, params: list) -> bool:
    for index, value in enumerate(params, start=1):
        if value is None:
            rc = _lib.sqlite3_bind_null(stmt, index)
        elif isinstance(value, (bool, int)):
            if not _INT64_MIN <= value <= _INT64_MAX:  # ctypes would wrap it round silently
                return False
            rc = _lib.sqlite3_bind_int64(stmt, index, int(value))
        elif isinstance(value, float):
            rc = _lib.sqlite3_bind_double(stmt, index, value)
        elif isinstance(value, str):
            encoded = value.encode()
            rc = _lib.sqlite3_bind_text(stmt, index, encoded, len(encoded), SQLITE_TRANSIENT)
        elif isinstance(value, bytes):
            rc = _lib.sqlite3_bind_blob(stmt, index, value, len(value), SQLITE_TRANSIENT)
        else:  # anything the sqlite3 module would adapt first: leave it to the module
            return False
        if rc != SQLITE_OK:
            return False
    return True


def _row(stmt, converters: list) -> tuple:
    """The current row, each value as the sqlite3 module would give it: a declared type
    with a converter gets the value's bytes (NULL stays None), the rest go by storage class."""
    values = []
    append = values.append
    for index, converter in enumerate(converters):
        if converter is not None:
            data = _column_text(stmt, index)  # any value as text, as column_blob would give it
            if data is None:
                append(_null_or_fail(stmt, index))
            else:
                append(converter(data if len(data) == _column_bytes(stmt, index) else _exact_bytes(stmt, index)))
            continue
        kind = _column_type(stmt, index)
        if kind == SQLITE_TEXT:
            data = _column_text(stmt, index)
            append((data if len(data) == _column_bytes(stmt, index) else _exact_bytes(stmt, index)).decode())
        elif kind == SQLITE_INTEGER:
            append(_column_int64(stmt, index))
        elif kind == SQLITE_NULL:
            append(None)
        elif kind == SQLITE_FLOAT:
            append(_column_double(stmt, index))
        else:
            append(_exact_bytes(stmt, index))
    return tuple(values)


def _exact_bytes(stmt, index: int) -> bytes:
    """The value's bytes with any NUL in them (c_char_p stops at the first)."""
    address = _column_blob(stmt, index)  # before column_bytes, as SQLite's docs order them
    size = _column_bytes(stmt, index)
    return ctypes.string_at(address, size) if size else b""


def _null_or_fail(stmt, index: int) -> None:
    if _column_type(stmt, index) != SQLITE_NULL:  # column_text found no memory for the text
        raise MemoryError("sqlite3_column_text")
    return None


if _lib is not None:
    _step, _reset = _lib.sqlite3_step, _lib.sqlite3_reset
    _column_type, _column_int64, _column_double = (
        _lib.sqlite3_column_type, _lib.sqlite3_column_int64, _lib.sqlite3_column_double,
    )
    _column_text, _column_blob, _column_bytes = (
        _lib.sqlite3_column_text, _lib.sqlite3_column_blob, _lib.sqlite3_column_bytes,
    )
