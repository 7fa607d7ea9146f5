"""Historical OHLCV bars of the simulated market, in OpenAlgo's ``history`` shape.

Bars are cut from the same deterministic price path the quotes and the stream show
(trading/market.py), so they agree with them: the bar in progress closes at the current
last price, a day's bar carries the quote's open, high and low. Intraday bars cover each
exchange's session on its trading days (trading/market_calendar.py), every bar of the
session with no gaps; daily bars cover trading days; weekly and monthly bars gather them.

Timestamps are Unix seconds: an intraday bar's start; for D, W and M the bar's first date
at 00:00 UTC, so a client reading them without a time zone sees the IST date.
"""
from __future__ import annotations

import calendar
import functools
from datetime import date, datetime, timedelta

from trading import market, market_calendar

INTRADAY_SECONDS = {"1m": 60, "3m": 180, "5m": 300, "10m": 600, "15m": 900, "30m": 1800, "1h": 3600}
PERIODS = ("D", "W", "M")
INTERVALS = {
    "seconds": [], "minutes": ["1m", "3m", "5m", "10m", "15m", "30m"], "hours": ["1h"], "days": ["D"],
    "weeks": ["W"], "months": ["M"],
}
# The longest span one request may ask for, in calendar days (as brokers cap theirs).
MAX_SPAN_DAYS = {"1m": 30, "3m": 60, "5m": 90, "10m": 90, "15m": 180, "30m": 180, "1h": 365, "D": 3660,
                 "W": 3660, "M": 3660}
EARLIEST = date(2000, 1, 1)


def interval_names() -> list[str]:
    return [*INTRADAY_SECONDS, *PERIODS]


class HistoryError(ValueError):
    """A request the history cannot answer (its message is for the caller)."""


def _utc_midnight(day: date) -> int:
    return calendar.timegm(day.timetuple())


def _row(timestamp: int, bar: market.Bar) -> dict:
    return {"timestamp": timestamp, "open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close,
            "volume": bar.volume, "oi": bar.oi}


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _intraday(symbol: str, exchange: str, seconds: int, start: date, end: date, now: float) -> list[dict]:
    seed = market.configured_seed()
    rows = []
    for day in _days(start, end):
        session = market_calendar.session(exchange, day)
        if session is None:
            continue
        opens, closes = session[0] // 1000, session[1] // 1000
        for bar_start in range(opens, closes, seconds):
            if bar_start > now:
                break
            bar_end = min(bar_start + seconds, closes, now)
            rows.append(_row(bar_start, market.bar(symbol, exchange, bar_start, bar_end, seed=seed)))
    return rows


@functools.lru_cache(maxsize=200_000)
def _closed_day(symbol: str, exchange: str, day: date, seed: int) -> market.Bar:
    """A finished day's bar: the quote as the day ended (cached: it never changes)."""
    return _day_bar(symbol, exchange, day, seed, None)


def _day_bar(symbol: str, exchange: str, day: date, seed: int, now: float | None) -> market.Bar:
    end_of_day = datetime(day.year, day.month, day.day, tzinfo=market_calendar.IST) + timedelta(days=1)
    at = end_of_day.timestamp() - 0.001 if now is None else now
    snap = market.snapshot(symbol, exchange, at, seed=seed)
    return market.Bar(open=snap.open, high=snap.high, low=snap.low, close=snap.ltp, volume=snap.volume, oi=snap.oi)


def _daily(symbol: str, exchange: str, start: date, end: date, now: float) -> list[tuple[date, market.Bar]]:
    seed = market.configured_seed()
    today = market.ist_date(now)
    found = []
    for day in _days(start, min(end, today)):
        if not market_calendar.is_trading_day(exchange, day):
            continue
        bar = _day_bar(symbol, exchange, day, seed, now) if day == today else _closed_day(symbol, exchange, day, seed)
        found.append((day, bar))
    return found


def _gather(bars: list[tuple[date, market.Bar]], period: str) -> list[dict]:
    groups: dict[date, list[market.Bar]] = {}
    for day, bar in bars:
        first = day - timedelta(days=day.weekday()) if period == "W" else day.replace(day=1)
        groups.setdefault(first, []).append(bar)
    return [
        _row(_utc_midnight(first), market.Bar(
            open=group[0].open, high=max(b.high for b in group), low=min(b.low for b in group),
            close=group[-1].close, volume=sum(b.volume for b in group), oi=group[-1].oi,
        ))
        for first, group in groups.items()
    ]


def bars(symbol: str, exchange: str, interval: str, start: date, end: date, now: float | None = None) -> list[dict]:
    """OpenAlgo's history rows for ``symbol`` from ``start`` to ``end`` (IST dates, inclusive)."""
    now = market.now() if now is None else now
    if interval not in MAX_SPAN_DAYS:
        raise HistoryError(f"Invalid interval. Must be one of: {', '.join(interval_names())}")
    if start > end:
        raise HistoryError("start_date must not be after end_date")
    if start < EARLIEST:
        raise HistoryError(f"start_date must be on or after {EARLIEST.isoformat()}")
    if (end - start).days + 1 > MAX_SPAN_DAYS[interval]:
        raise HistoryError(f"Interval {interval} covers at most {MAX_SPAN_DAYS[interval]} days per request")
    end = min(end, market.ist_date(now))
    if interval in INTRADAY_SECONDS:
        return _intraday(symbol, exchange, INTRADAY_SECONDS[interval], start, end, now)
    daily = _daily(symbol, exchange, start, end, now)
    if interval == "D":
        return [_row(_utc_midnight(day), bar) for day, bar in daily]
    return _gather(daily, interval)


