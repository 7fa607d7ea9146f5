"""trading/write_lock.py: on SQLite, a second order call of the process waits for the first
to finish (on a lock, not in SQLite's sleeping busy handler); switched off, or inside an
open transaction, nothing waits."""
from __future__ import annotations

import threading
import time

from trading import write_lock


def _second_call_waited(hold: float = 0.3) -> bool:
    entered = threading.Event()
    waited = []

    def first():
        with write_lock.order_writes():
            entered.set()
            time.sleep(hold)

    holder = threading.Thread(target=first)
    holder.start()
    entered.wait(5)

    def second():
        started = time.monotonic()
        with write_lock.order_writes():
            waited.append(time.monotonic() - started)

    other = threading.Thread(target=second)
    other.start()
    other.join(5)
    holder.join(5)
    return waited[0] >= hold / 2


def test_a_second_order_call_waits_for_the_first_on_sqlite_only(settings):
    on_sqlite = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert _second_call_waited() == on_sqlite  # PostgreSQL's row locks need no queue


def test_switched_off_nothing_waits(settings):
    settings.SQLITE_QUEUE_ORDER_WRITES = False
    assert not _second_call_waited()
