"""The exchanges' trading calendar: holidays (trading/data/market_holidays.csv, NSE's and
MCX's published calendars) and each exchange's session on a date, in OpenAlgo's shapes.

A weekday that is not a holiday trades the regular session of every exchange; a weekend
trades nothing unless the calendar lists a special session (Muhurat trading); a holiday
closes the exchanges it lists and may open others for a special or evening session.
Times are IST; answers carry Unix epoch milliseconds as OpenAlgo's do.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from trading import reference_data

IST = timezone(timedelta(hours=5, minutes=30))
CALENDAR_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX")
# Regular sessions (IST): F&O trades to 15:40 since the cash segment's closing auction.
REGULAR_SESSIONS = {
    "NSE": ("09:15", "15:30"), "BSE": ("09:15", "15:30"), "NFO": ("09:15", "15:40"), "BFO": ("09:15", "15:40"),
    "CDS": ("09:00", "17:00"), "BCD": ("09:00", "17:00"), "MCX": ("09:00", "23:55"),
}
# Quote-only exchanges follow the segment they belong to.
SESSION_OF = {"NSE_INDEX": "NSE", "BSE_INDEX": "BSE", "MCX_INDEX": "MCX"}
FIRST_YEAR, LAST_YEAR = 2020, 2050


@dataclass(frozen=True)
class Holiday:
    day: date
    description: str
    holiday_type: str
    closed: tuple[str, ...]
    sessions: tuple[tuple[str, str, str], ...]  # (exchange, start HH:MM, end HH:MM) open that day


def _epoch_ms(day: date, hhmm: str) -> int:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    moment = datetime(day.year, day.month, day.day, tzinfo=IST) + timedelta(hours=hours, minutes=minutes)
    return int(moment.timestamp() * 1000)


def _window_ms(day: date, start: str, end: str) -> tuple[int, int]:
    """(start, end) in epoch ms; an end earlier than the start is past midnight."""
    first, last = _epoch_ms(day, start), _epoch_ms(day, end)
    return first, last if last > first else last + 86_400_000


@functools.cache
def _holidays() -> dict[date, Holiday]:
    found = {}
    for row in reference_data.holidays():
        sessions = []
        for entry in filter(None, (part.strip() for part in row["open"].split(";"))):
            exchange, window = entry.split()
            start, end = window.split("-")
            sessions.append((exchange, start, end))
        day = date.fromisoformat(row["date"])
        found[day] = Holiday(day, row["description"], row["holiday_type"], tuple(row["closed"].split()),
                             tuple(sessions))
    return found


def holidays(year: int) -> list[dict]:
    """OpenAlgo's ``market/holidays`` rows for ``year`` (empty for a year not shipped)."""
    rows = []
    for day, holiday in sorted(_holidays().items()):
        if day.year != year:
            continue
        rows.append({
            "date": day.isoformat(), "description": holiday.description, "holiday_type": holiday.holiday_type,
            "closed_exchanges": list(holiday.closed),
            "open_exchanges": [
                {"exchange": exchange, "start_time": first, "end_time": last}
                for exchange, first, last in ((e, *_window_ms(day, s, t)) for e, s, t in holiday.sessions)
            ],
        })
    return rows


@functools.lru_cache(maxsize=4096)
def sessions(day: date) -> tuple[tuple[str, int, int], ...]:
    """(exchange, start ms, end ms) of every exchange trading on ``day``."""
    holiday = _holidays().get(day)
    if holiday is not None:
        special = tuple((exchange, *_window_ms(day, start, end)) for exchange, start, end in holiday.sessions)
        if holiday.holiday_type == "SPECIAL_SESSION":
            return special
        regular = tuple(
            (exchange, *_window_ms(day, *REGULAR_SESSIONS[exchange]))
            for exchange in CALENDAR_EXCHANGES
            if exchange not in holiday.closed and exchange not in {s[0] for s in special}
        )
        return regular + special
    if day.weekday() >= 5:
        return ()
    return tuple((exchange, *_window_ms(day, *REGULAR_SESSIONS[exchange])) for exchange in CALENDAR_EXCHANGES)


def timings(day: date) -> list[dict]:
    """OpenAlgo's ``market/timings`` rows: the exchanges open on ``day`` (none on a full holiday)."""
    return [{"exchange": exchange, "start_time": start, "end_time": end} for exchange, start, end in sessions(day)]


def session(exchange: str, day: date) -> tuple[int, int] | None:
    """The (start, end) epoch ms of ``exchange``'s session on ``day``, or None when it is shut."""
    segment = SESSION_OF.get(exchange, exchange)
    for name, start, end in sessions(day):
        if name == segment:
            return start, end
    return None


def is_trading_day(exchange: str, day: date) -> bool:
    return session(exchange, day) is not None


def previous_trading_day(exchange: str, day: date) -> date:
    """``day`` itself when it trades, else the last trading day before it (an expiry that
    falls on a holiday moves there)."""
    while not is_trading_day(exchange, day):
        day -= timedelta(days=1)
    return day
