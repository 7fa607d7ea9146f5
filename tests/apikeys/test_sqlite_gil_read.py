"""apikeys/sqlite_gil_read.py: a one-row read on a SQLite file that keeps the GIL and
answers exactly what the sqlite3 module (with Django's options) would, or steps aside."""
from __future__ import annotations

import datetime
import decimal
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import django.db.backends.sqlite3.base  # noqa: F401  (registers Django's converters, as at run time)
import pytest

from apikeys import sqlite_gil_read
from apikeys.sqlite_gil_read import FELL_BACK, read_one

pytestmark = pytest.mark.skipif(not sqlite_gil_read.available(), reason="the sqlite3 module's libsqlite3 is not reachable")

COLUMNS = "id integer, name varchar(20), ratio real, raw blob, flag bool, at datetime, note text, big bigint"
SELECT = "SELECT id, name, ratio, raw, flag, at, note, big FROM t WHERE id = ?"


def connect(path: Path) -> sqlite3.Connection:
    """As Django's SQLite backend connects."""
    return sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES, isolation_level=None)


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "read.sqlite3"
    writer = connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute(f"CREATE TABLE t ({COLUMNS})")
    writer.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        (1, "ünïcode", 1.5, b"\x00\x01bytes", True, datetime.datetime(2026, 11, 30, 12, 0, 0, 123456), "a\x00b", 2**62),
        (2, None, None, None, None, None, None, None),
        (3, "", 0.0, b"", False, datetime.datetime(2000, 1, 1), b"blob in a text column", -(2**63)),
        (4, 42, "text in a real column", "text in a blob column", 1, "2026-01-02 03:04:05", 7, "12"),
    ])
    yield path, writer
    writer.close()
    sqlite_gil_read.close_all()


@pytest.mark.parametrize("row_id", [1, 2, 3, 4])
def test_every_value_is_what_the_sqlite3_module_gives(database, row_id):
    path, writer = database
    expected = writer.execute(SELECT, [row_id]).fetchone()
    assert read_one(str(path), SELECT, [row_id], owner=writer) == expected


def test_no_row_is_none_and_parameters_bind_by_type(database):
    path, writer = database
    assert read_one(str(path), SELECT, [99], owner=writer) is None
    query = "SELECT id FROM t WHERE name = ? OR ratio = ? OR raw = ? OR (? IS NULL AND id = 2)"
    assert read_one(str(path), query, ["ünïcode", None, None, None], owner=writer) == (1,)
    assert read_one(str(path), query, ["-", 0.0, None, 0], owner=writer) == (3,)
    assert read_one(str(path), query, ["-", None, b"\x00\x01bytes", 0], owner=writer) == (1,)


def test_what_it_cannot_answer_it_leaves_to_the_sqlite3_module(database):
    path, writer = database
    assert read_one(str(path), "SELECT * FROM missing WHERE id = ?", [1], owner=writer) is FELL_BACK
    assert read_one(str(path), SELECT, [decimal.Decimal("1")], owner=writer) is FELL_BACK  # needs an adapter
    assert read_one(str(path), SELECT, [2**64], owner=writer) is FELL_BACK  # ctypes would bind 0; the module raises OverflowError
    assert read_one(str(path), 'SELECT id AS "id [bool]" FROM t WHERE id = ?', [1], owner=writer) is FELL_BACK
    assert read_one(str(tmp := path.with_name("none") / "x.sqlite3"), SELECT, [1], owner=writer) is FELL_BACK
    assert not tmp.exists()  # read-only: never creates a file
    # A statement that failed to prepare is tried again, not remembered as broken.
    writer.execute("CREATE TABLE missing (id integer)")
    writer.execute("INSERT INTO missing VALUES (1)")
    assert read_one(str(path), "SELECT * FROM missing WHERE id = ?", [1], owner=writer) == (1,)


def test_a_locked_database_is_never_waited_for(tmp_path):
    path = tmp_path / "locked.sqlite3"
    writer = connect(path)  # rollback journal: an exclusive lock shuts readers out
    writer.execute(f"CREATE TABLE t ({COLUMNS})")
    writer.execute("INSERT INTO t (id) VALUES (1)")
    writer.execute("BEGIN EXCLUSIVE")
    try:
        assert read_one(str(path), SELECT, [1], owner=writer) is FELL_BACK  # no busy wait with the GIL held
    finally:
        writer.execute("ROLLBACK")
    assert read_one(str(path), SELECT, [1], owner=writer)[0] == 1
    writer.close()
    sqlite_gil_read.close_all()


def test_each_read_sees_what_was_committed_since(database):
    path, writer = database
    assert read_one(str(path), SELECT, [1], owner=writer)[1] == "ünïcode"
    writer.execute("UPDATE t SET name = 'renamed' WHERE id = 1")
    assert read_one(str(path), SELECT, [1], owner=writer)[1] == "renamed"
    writer.execute("BEGIN")
    writer.execute("UPDATE t SET name = 'uncommitted' WHERE id = 1")
    assert read_one(str(path), SELECT, [1], owner=writer)[1] == "renamed"  # committed data only
    writer.execute("COMMIT")
    writer.execute("DELETE FROM t WHERE id = 1")
    assert read_one(str(path), SELECT, [1], owner=writer) is None


def test_the_reader_reconnects_when_djangos_connection_does(tmp_path):
    def database_named(path: Path, name: str) -> None:
        writer = connect(path)
        writer.execute(f"CREATE TABLE t ({COLUMNS})")
        writer.execute("INSERT INTO t (id, name) VALUES (1, ?)", [name])
        writer.close()

    path = tmp_path / "live.sqlite3"
    database_named(path, "old")
    django_connection = connect(path)
    assert read_one(str(path), SELECT, [1], owner=django_connection)[1] == "old"
    # The file is replaced (a restore): the open reader, like Django's, still reads the old one...
    database_named(tmp_path / "restore.sqlite3", "restored")
    os.replace(tmp_path / "restore.sqlite3", path)
    assert read_one(str(path), SELECT, [1], owner=django_connection)[1] == "old"
    # ...until the Django connection it stands beside is a new one (CONN_MAX_AGE, an error).
    django_connection.close()
    reconnected = connect(path)
    assert read_one(str(path), SELECT, [1], owner=reconnected)[1] == "restored"
    reconnected.close()
    sqlite_gil_read.close_all()


def _open_files(path: Path) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
        except OSError:
            pass
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_threads_connection_closes_when_the_thread_ends(database):
    path, writer = database

    def read_and_end():
        assert read_one(str(path), SELECT, [1], owner=writer)[0] == 1
        assert _open_files(path) == 2  # Django's (here: the writer) and the reader's

    thread = threading.Thread(target=read_and_end)
    thread.start()
    thread.join()
    writer.close()
    # SQLite holds a closed connection's file open while another connection of the same
    # library has locks on that file (closing it would drop them): so only once both are
    # closed is the file closed, which also shows that the reader shares the sqlite3
    # module's SQLite and its table of locks.
    assert _open_files(path) == 0


def _voluntary_switches() -> int:
    status = Path(f"/proc/self/task/{threading.get_native_id()}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("voluntary_ctxt_switches:")).split()[1])


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_the_read_keeps_the_gil_while_another_thread_wants_it(database):
    """Why the module exists: with a busy thread always waiting for the GIL, the sqlite3
    module hands it over at every step of a read and then waits for it back; this reader
    does not (switches happen only at the interpreter's switch interval).

    The handover only shows while the busy thread has a core of its own to run on. With
    every core taken (another test worker, a build), the sqlite3 module's control read shows
    no switches either, and that attempt proves nothing: it is measured again, over a few
    seconds at most, for a moment when a core is free.
    """
    path, writer = database
    reader = connect(path)
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            pass

    def switches_per_read(read) -> float:
        read()
        before = _voluntary_switches()
        for _ in range(200):
            read()
        return (_voluntary_switches() - before) / 200

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    spinner = threading.Thread(target=busy)
    spinner.start()
    shown = []  # (kept, handed over) of each attempt whose control showed the handover
    try:
        for _attempt in range(30):
            kept = switches_per_read(lambda: read_one(str(path), SELECT, [1], owner=writer))
            handed_over = switches_per_read(lambda: reader.execute(SELECT, [1]).fetchone())
            if handed_over > 0.3:  # the control: the module's read gives the GIL away
                shown.append((kept, handed_over))
                if len(shown) == 2:
                    break
            else:
                time.sleep(0.1)
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(interval)
        reader.close()
    if not shown:
        pytest.skip("every core was busy: the sqlite3 module's control read showed no GIL handover to compare with")
    assert min(kept / handed_over for kept, handed_over in shown) < 0.2, shown
