"""Usage of platform keys: requests per key, day (UTC) and endpoint group, last use, and
first use from a new address — counted in this process's memory, written in batches.

``count`` is all a request does: a dictionary increment under a lock, no query. The
counts go to the database (``PlatformKeyUsage``, the key's ``last_used_at`` /
``last_used_ip``, ``PlatformKeyAddress`` and a ``new_ip`` audit line for an address the
key was never used from) by ``flush``, called by the first request after
``PLATFORM_KEY_USAGE_FLUSH_SECONDS`` and at process exit. A crash loses at most that
interval's counts of this process: usage is a statistic, not a ledger.

The endpoint group of a request is the scope its view needs (``apikeys.scopes``), or
``other`` for endpoints any key may call; the WebSocket's sign-ins count as ``stream``.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from apikeys import audit
from apikeys.conf import app_settings
from apikeys.models import KeyEventAction, PlatformApiKey, PlatformKeyAddress, PlatformKeyUsage

logger = logging.getLogger(__name__)

OTHER = "other"
STREAM = "stream"


def group_of(view) -> str:
    """The usage group of a view: the scope it declares, else ``other``."""
    return getattr(view, "required_scope", None) or OTHER


class UsageCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, date, str], int] = defaultdict(int)
        self._last: dict[int, tuple[datetime, str]] = {}
        self._new_addresses: dict[tuple[int, str], datetime] = {}  # (key, ip) → first use, to check
        self._known_addresses: set[tuple[int, str]] = set()  # (key, ip) already in the database
        self._flushed_at = time.monotonic()
        self._flushing = threading.Lock()

    def count(self, key_id: int, group: str, ip: str, now: datetime | None = None) -> None:
        now = now or timezone.now()
        with self._lock:
            self._counts[(key_id, now.astimezone(timezone.get_fixed_timezone(0)).date(), group)] += 1
            self._last[key_id] = (now, ip)
            if ip and (key_id, ip) not in self._known_addresses:
                self._new_addresses.setdefault((key_id, ip), now)  # every address, not only the last
            due = time.monotonic() - self._flushed_at >= app_settings.PLATFORM_KEY_USAGE_FLUSH_SECONDS
        if due:
            self.flush()

    def pending(self, key_id: int) -> dict[tuple[date, str], int]:
        """This process's counts of ``key_id`` not yet written (for an up-to-date report)."""
        with self._lock:
            return {(day, group): n for (key, day, group), n in self._counts.items() if key == key_id}

    def flush(self) -> None:
        """Write what was counted since the last flush (one request at a time does it)."""
        if not self._flushing.acquire(blocking=False):
            return  # another thread is writing; its successor picks up the rest
        try:
            with self._lock:
                counts, self._counts = self._counts, defaultdict(int)
                last, self._last = self._last, {}
                addresses, self._new_addresses = self._new_addresses, {}
                self._flushed_at = time.monotonic()
            if counts or last or addresses:
                self._write(counts, last, addresses)
        finally:
            self._flushing.release()

    def forget(self) -> None:
        with self._lock:
            self._counts.clear()
            self._last.clear()
            self._new_addresses.clear()
            self._known_addresses.clear()

    def _write(self, counts: dict[tuple[int, date, str], int], last: dict[int, tuple[datetime, str]],
               addresses: dict[tuple[int, str], datetime]) -> None:
        try:
            for (key_id, day, group), n in counts.items():
                _add(key_id, day, group, n)
            for key_id, (at, ip) in last.items():
                # QuerySet.update sends no signal: nothing a key check reads changes here.
                PlatformApiKey.objects.filter(pk=key_id).update(last_used_at=at, last_used_ip=ip[:64])
            for (key_id, ip), at in addresses.items():
                if (key_id, ip) not in self._known_addresses:
                    self._note_address(key_id, ip, at)
        except DatabaseError:
            logger.warning("platform-key usage not written (database error): these counts are lost", exc_info=True)

    def _note_address(self, key_id: int, ip: str, at: datetime) -> None:
        with transaction.atomic():
            _, created = PlatformKeyAddress.objects.get_or_create(key_id=key_id, ip=ip[:64], defaults={"first_seen_at": at})
            if created:
                key = PlatformApiKey.objects.filter(pk=key_id).only("id").first()
                if key is not None:
                    audit.record(key, KeyEventAction.NEW_IP, ip=ip, at=at)
        if len(self._known_addresses) > 100_000:
            self._known_addresses.clear()
        self._known_addresses.add((key_id, ip))


def _add(key_id: int, day: date, group: str, n: int) -> None:
    rows = PlatformKeyUsage.objects.filter(key_id=key_id, day=day, group=group)
    if rows.update(requests=F("requests") + n):
        return
    try:
        with transaction.atomic():
            PlatformKeyUsage.objects.create(key_id=key_id, day=day, group=group, requests=n)
    except IntegrityError:  # another process created it meanwhile (or the key is gone)
        rows.update(requests=F("requests") + n)


counter = UsageCounter()
atexit.register(counter.flush)


def report(key: PlatformApiKey, *, days: int) -> dict:
    """Requests of ``key`` per day (oldest first, every day of the range) and group."""
    today = timezone.now().astimezone(timezone.get_fixed_timezone(0)).date()
    first = today - timedelta(days=days - 1)
    totals: dict[tuple[date, str], int] = defaultdict(int)
    for row in (PlatformKeyUsage.objects.filter(key=key, day__gte=first).values("day", "group")
                .annotate(n=Sum("requests"))):
        totals[(row["day"], row["group"])] += row["n"]
    for (day, group), n in counter.pending(key.pk).items():
        if day >= first:
            totals[(day, group)] += n
    by_group: dict[str, int] = defaultdict(int)
    by_day = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        groups = {group: n for (d, group), n in totals.items() if d == day}
        for group, n in groups.items():
            by_group[group] += n
        by_day.append({"day": day.isoformat(), "total": sum(groups.values()), "groups": groups})
    return {
        "days": days,
        "total": sum(by_group.values()),
        "by_group": dict(by_group),
        "by_day": by_day,
        "last_used_at": None if key.last_used_at is None
        else key.last_used_at.astimezone(timezone.get_fixed_timezone(0)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last_used_ip": key.last_used_ip or None,
    }
