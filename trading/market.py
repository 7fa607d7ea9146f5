"""The simulated market: deterministic prices, quotes and depth for any symbol.

Every value is a pure function of (MARKET_SEED, instrument, time), so separate server
processes compute identical ticks without talking to each other (docs/design/websocket-feed.md: ticks
never cross processes) and no database is involved.

How a price path is built, and why:
- A trading day (IST calendar day) has 2**20 ticks (~82 ms each). Within a day the log
  price is a Brownian bridge built top-down (Lévy's construction): each dyadic midpoint
  is the mean of its two ends plus a hash-seeded normal draw. Any single tick costs
  O(20) hash draws and needs no history, so a fresh process can price 14:00 at once.
- The bridge starts at the day's open and ends exactly at the next day's previous
  close, so days join up. Day levels come from a slower walk over day numbers (the same
  construction over 2**16 days), softly bounded so prices stay near their reference.
- High and low are prefix extrema over "vertices" every 2**10 ticks (~84 s), computed
  once per instrument-day and cached; the last traded price is clamped into them. That
  keeps high never falling and low never rising during a day, and makes them exact
  functions of time rather than of what a process happened to observe.
- Futures and options are priced from their underlying (carry; Black-76 on the carried
  forward with the simulated volatility surface of trading/options_math.py), so they
  move with it, as real derivatives do.

Public functions: ``instrument``, ``snapshot``, ``quote``, ``ltp``, ``depth``,
``universe``. ``at`` is a Unix time in seconds (default: now); callers that stream
ticks pass their own tick times.
"""
from __future__ import annotations

import calendar
import functools
import hashlib
import math
import re
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from trading import options_math, reference_data
from trading.instruments import EXCHANGES, MAX_DEPTH_LEVELS, normalize_symbol

# --- Instrument naming ------------------------------------------------------------------

IST_OFFSET_SECONDS = 5 * 3600 + 1800
DAY_SECONDS = 86400
DAY_LEVELS = 20
TICKS_PER_DAY = 1 << DAY_LEVELS
VERTEX_LEVELS = 10
VERTEX_SPACING = 1 << VERTEX_LEVELS
VERTICES = TICKS_PER_DAY // VERTEX_SPACING  # 1024 intervals, 1025 vertices
LEVEL_WINDOW_DAYS = 256  # day levels: two staggered bridges over 256-day windows
CARRY_RATE = 0.065
EXPIRY_SECOND_OF_DAY_UTC = 10 * 3600  # 15:30 IST

_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DERIVATIVE = re.compile(
    r"^(?P<root>[A-Z0-9&\-]+?)(?P<dd>\d{2})(?P<mon>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(?P<yy>\d{2})"
    r"(?:(?P<strike>\d+(?:\.\d+)?)(?P<otype>CE|PE)|FUT)$"
)


@dataclass(frozen=True)
class Instrument:
    symbol: str
    exchange: str
    kind: str  # equity | index | commodity | currency | future | option | unlisted
    tick: float
    lot: int
    base: float = 0.0  # reference price of a spot instrument
    vol: float = 0.02  # daily log volatility
    day_volume: int = 0  # typical traded quantity per day (0: not traded, e.g. an index)
    family: str = ""  # price-path stream: an equity's NSE and BSE listings share one
    underlying: Instrument | None = None
    expiry: date | None = None
    strike: float | None = None
    option_type: str | None = None


# symbol: (reference price, F&O lot size, typical day volume), from the shipped equity list
_EQUITIES = {
    row["symbol"]: (float(row["price"]), int(row["lot_size"]), int(row["day_volume"]))
    for row in reference_data.equities()
}
# symbol: (exchange, reference level, F&O lot size, daily volatility)
_INDICES = {
    "NIFTY": ("NSE_INDEX", 24800.0, 75, 0.009), "BANKNIFTY": ("NSE_INDEX", 55000.0, 35, 0.011),
    "FINNIFTY": ("NSE_INDEX", 26000.0, 65, 0.010), "MIDCPNIFTY": ("NSE_INDEX", 12800.0, 140, 0.012),
    "INDIAVIX": ("NSE_INDEX", 13.5, 1, 0.05), "SENSEX": ("BSE_INDEX", 81500.0, 20, 0.009),
    "BANKEX": ("BSE_INDEX", 62000.0, 30, 0.011),
}
# symbol: (reference price, tick, lot, daily volatility, typical day volume)
_COMMODITIES = {
    "GOLD": (97000.0, 1.0, 1, 0.009, 9_000), "GOLDM": (97000.0, 1.0, 1, 0.009, 30_000),
    "SILVER": (110000.0, 1.0, 1, 0.015, 12_000), "SILVERM": (110000.0, 1.0, 1, 0.015, 40_000),
    "CRUDEOIL": (5600.0, 1.0, 100, 0.022, 60_000), "CRUDEOILM": (5600.0, 1.0, 10, 0.022, 150_000),
    "NATURALGAS": (300.0, 0.1, 1250, 0.03, 80_000), "COPPER": (880.0, 0.05, 2500, 0.012, 10_000),
    "ZINC": (260.0, 0.05, 5000, 0.013, 5_000), "ALUMINIUM": (245.0, 0.05, 5000, 0.011, 5_000),
    "LEAD": (180.0, 0.05, 5000, 0.010, 3_000),
}
_CURRENCIES = {
    "USDINR": (85.5, 0.0025, 1000, 0.003, 2_000_000), "EURINR": (97.0, 0.0025, 1000, 0.004, 300_000),
    "GBPINR": (114.0, 0.0025, 1000, 0.004, 200_000), "JPYINR": (58.0, 0.0025, 1000, 0.005, 100_000),
}
_DERIVATIVE_UNDERLYINGS = {
    "NFO": ("NSE_INDEX", "NSE"), "BFO": ("BSE_INDEX", "BSE"), "MCX": ("MCX",),
    "CDS": ("CDS",), "BCD": ("CDS",),
}


def _build_universe() -> dict[tuple[str, str], Instrument]:
    spots: dict[tuple[str, str], Instrument] = {}
    for symbol, (price, _lot, volume) in _EQUITIES.items():
        for exchange in ("NSE", "BSE"):
            spots[(exchange, symbol)] = Instrument(
                symbol, exchange, "equity", tick=0.01 if price < 100 else 0.05, lot=1,
                base=price, vol=0.018, day_volume=volume, family=f"EQ:{symbol}",
            )
    for symbol, (exchange, level, _lot, vol) in _INDICES.items():
        spots[(exchange, symbol)] = Instrument(
            symbol, exchange, "index", tick=0.05 if level > 100 else 0.0025, lot=1,
            base=level, vol=vol, family=f"IDX:{symbol}",
        )
    for symbol, (price, tick, lot, vol, volume) in _COMMODITIES.items():
        spots[("MCX", symbol)] = Instrument(
            symbol, "MCX", "commodity", tick=tick, lot=lot, base=price, vol=vol, day_volume=volume,
            family=f"MCX:{symbol}",
        )
    for symbol, (price, tick, lot, vol, volume) in _CURRENCIES.items():
        for exchange in ("CDS", "BCD"):
            spots[(exchange, symbol)] = Instrument(
                symbol, exchange, "currency", tick=tick, lot=lot, base=price, vol=vol, day_volume=volume,
                family=f"FX:{symbol}",
            )
    return spots


_SPOTS = _build_universe()


@functools.lru_cache(maxsize=16384)
def instrument(symbol: str, exchange: str) -> Instrument:
    """The instrument for ``symbol`` on ``exchange``: listed, derived or made up.

    Any well-formed symbol gets a price ("plus any symbol asked for"): unknown names
    get a reference price drawn from the name itself, so it is stable everywhere.
    """
    symbol, exchange = normalize_symbol(symbol), exchange.strip().upper()
    if exchange not in EXCHANGES:
        raise ValueError(f"unknown exchange {exchange!r}")
    listed = _SPOTS.get((exchange, symbol))
    if listed is not None:
        return listed
    if exchange in _DERIVATIVE_UNDERLYINGS:
        derived = _derivative(symbol, exchange)
        if derived is not None:
            return derived
    return _unlisted(symbol, exchange)


def _unlisted(symbol: str, exchange: str) -> Instrument:
    h = _hash64("unlisted", exchange, symbol)
    base = math.exp(math.log(20.0) + (h % 10_000) / 10_000 * (math.log(5000.0) - math.log(20.0)))
    kind = "index" if exchange.endswith("_INDEX") else "unlisted"
    return Instrument(
        symbol, exchange, kind, tick=0.05 if base >= 100 else 0.01, lot=1, base=round(base, 2),
        vol=0.02, day_volume=0 if kind == "index" else 50_000 + (h >> 20) % 2_000_000,
        family=f"X:{exchange}:{symbol}",
    )


def _derivative(symbol: str, exchange: str) -> Instrument | None:
    match = _DERIVATIVE.match(symbol)
    if not match:
        return None
    try:
        expiry = date(2000 + int(match["yy"]), _MONTHS[match["mon"]], int(match["dd"]))
    except ValueError:
        return None
    root = match["root"]
    underlying = None
    for candidate_exchange in _DERIVATIVE_UNDERLYINGS[exchange]:
        underlying = _SPOTS.get((candidate_exchange, root))
        if underlying is not None:
            break
    if underlying is None:
        underlying = _unlisted(root, _DERIVATIVE_UNDERLYINGS[exchange][-1])
    lot = _INDICES.get(root, (None, None, None))[2] or _EQUITIES.get(root, (None, None))[1] or underlying.lot
    tick = underlying.tick if underlying.kind in ("commodity", "currency") else 0.05
    day_volume = max(underlying.day_volume, 1_000_000) if underlying.kind == "index" else underlying.day_volume
    future = Instrument(
        symbol=symbol, exchange=exchange, kind="future", tick=tick, lot=lot, underlying=underlying, expiry=expiry,
        day_volume=day_volume, family=f"DRV:{exchange}:{symbol}",
    )
    if match["otype"] is None:
        return future
    return replace(
        future, kind="option", strike=float(match["strike"]), option_type=match["otype"], day_volume=day_volume * 3,
    )


def listed_spots() -> list[Instrument]:
    """Every spot instrument with a reference price: equities, indices, commodities, currencies."""
    return list(_SPOTS.values())


def commodity_roots() -> list[str]:
    return list(_COMMODITIES)


def currency_roots() -> list[str]:
    return list(_CURRENCIES)


def previous_close(spot: Instrument, day: date, seed: int | None = None) -> float:
    """The unrounded close before IST ``day`` of a spot instrument (cheap: no intraday path)."""
    number = (day - date(1970, 1, 1)).days
    return math.exp(math.log(spot.base) + _level(_seed(seed), spot.family, spot.vol, number))


def ist_date(at: float | None = None) -> date:
    """The IST calendar date at Unix time ``at`` (default: the market clock's now)."""
    return _ist_date(now() if at is None else at)


def universe(today: date | None = None) -> list[Instrument]:
    """The listed spot instruments plus each F&O underlying's front-month future, as the
    instrument master (trading/instrument_master.py) lists them on ``today``."""
    from trading import instrument_master  # the master prices its strike grid from this module

    today = today or _ist_date(now())
    listed = [i for (exchange, _), i in _SPOTS.items() if exchange != "BCD"]
    return listed + [instrument(row.symbol, row.exchange) for row in instrument_master.front_futures(today)]


# --- Deterministic randomness ----------------------------------------------------------

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_TWO_PI = 2.0 * math.pi


def _hash64(*parts: object) -> int:
    data = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _mix(key: int, index: int) -> int:
    """SplitMix64 output ``index`` of the stream ``key``: cheap, well spread."""
    z = (key + (index + 1) * _GOLDEN) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _normal(key: int, index: int) -> float:
    z = _mix(key, index)
    u1 = ((z >> 32) + 0.5) * 2.0**-32
    u2 = ((z & 0xFFFFFFFF) + 0.5) * 2.0**-32
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


# --- Time ------------------------------------------------------------------------------

def _clock(at: float) -> tuple[int, int]:
    """(IST day number, tick index within that day) for Unix time ``at``."""
    local = at + IST_OFFSET_SECONDS
    day = math.floor(local / DAY_SECONDS)
    into_day = local - day * DAY_SECONDS
    tick = min(int(into_day * TICKS_PER_DAY / DAY_SECONDS), TICKS_PER_DAY - 1)
    return day, tick


def _ist_date(at: float) -> date:
    return date(1970, 1, 1) + timedelta(days=math.floor((at + IST_OFFSET_SECONDS) / DAY_SECONDS))


# --- Spot price paths ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Day:
    """One instrument-day: its bridge stream, vertices and their running extrema."""

    key: int
    log_open: float
    sigma_tick: float
    vertices: array
    highs: array
    lows: array
    prev_close: float
    volume: float


class _LRU:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_days = _LRU(4096)


def _bridge(
    key: int, length: int, at: int, start: float = 0.0, end: float = 0.0, scale: float = 1.0, offset: int = 0
) -> float:
    """Lévy's construction: the value at integer ``at`` of a Brownian bridge on [0, length].

    Each midpoint draws its normal from ``key`` at index ``offset + midpoint``, so a
    bridge laid over ticks [offset, offset + length] reuses no other bridge's draws.
    """
    a, b, wa, wb = 0, length, start, end
    while True:
        if at == a:
            return wa
        if at == b:
            return wb
        m = (a + b) // 2
        wm = (wa + wb) / 2 + _normal(key, offset + m) * scale * math.sqrt(b - a) / 2
        if at < m:
            b, wb = m, wm
        else:
            a, wa = m, wm


@functools.lru_cache(maxsize=65536)
def _level(seed: int, family: str, vol: float, day: int) -> float:
    """The slow day-to-day log level: previous close relative to the reference price.

    A plain random walk would wander off over the years; two Brownian bridges pinned to
    zero every 256 days, half a window apart, wander like one (daily step ~ ``vol``)
    while staying within about ±12 % of the reference price, and are never both pinned.
    """
    total = 0.0
    for phase in (0, LEVEL_WINDOW_DAYS // 2):
        window, position = divmod(day + phase, LEVEL_WINDOW_DAYS)
        total += _bridge(_hash64(seed, "level", family, phase, window), LEVEL_WINDOW_DAYS, position)
    return total * vol / math.sqrt(2.0)


_VERTEX_DRAWS = np.arange(VERTICES + 1, dtype=np.uint64) * np.uint64(VERTEX_SPACING)


def _vertices(key: int, target: float, sigma_tick: float) -> tuple[array, array, array]:
    """The day's vertices (log move from the open every VERTEX_SPACING ticks, from 0 to
    ``target``) and their running maximum and minimum.

    The same dyadic construction as ``_bridge`` with the same draws (``_normal(key, tick)``
    for the midpoint at ``tick``), computed level by level with numpy: a day costs well
    under a millisecond, so a year of daily bars is quick to price.
    """
    z = (np.uint64(key) + (_VERTEX_DRAWS + np.uint64(1)) * np.uint64(_GOLDEN))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    u1 = ((z >> np.uint64(32)).astype(np.float64) + 0.5) * 2.0**-32
    u2 = ((z & np.uint64(0xFFFFFFFF)).astype(np.float64) + 0.5) * 2.0**-32
    normals = np.sqrt(-2.0 * np.log(u1)) * np.cos(_TWO_PI * u2)
    vertices = np.zeros(VERTICES + 1)
    vertices[VERTICES] = target
    step = VERTICES
    while step > 1:
        half = step // 2
        starts = np.arange(0, VERTICES, step)
        spread = sigma_tick * math.sqrt(step * VERTEX_SPACING) / 2
        vertices[starts + half] = (vertices[starts] + vertices[starts + step]) / 2 + normals[starts + half] * spread
        step = half
    as_array = lambda values: array("d", values.tobytes())  # noqa: E731 - plain floats for the per-tick code
    return as_array(vertices), as_array(np.maximum.accumulate(vertices)), as_array(np.minimum.accumulate(vertices))


def _day(seed: int, spot: Instrument, day: int) -> _Day:
    cache_key = (seed, spot.family, spot.base, spot.vol, day)
    cached = _days.get(cache_key)
    if cached is not None:
        return cached
    key = _hash64(seed, "bridge", spot.family, day)
    log_prev_close = math.log(spot.base) + _level(seed, spot.family, spot.vol, day)
    gap = _normal(key, 0) * spot.vol * 0.25
    target = math.log(spot.base) + _level(seed, spot.family, spot.vol, day + 1) - (log_prev_close + gap)
    sigma_tick = spot.vol / math.sqrt(TICKS_PER_DAY)
    vertices, highs, lows = _vertices(key, target, sigma_tick)
    volume = spot.day_volume * math.exp(0.3 * _normal(key, TICKS_PER_DAY + 1))
    result = _Day(key, log_prev_close + gap, sigma_tick, vertices, highs, lows, math.exp(log_prev_close), volume)
    _days.put(cache_key, result)
    return result


def _bridge_at(d: _Day, tick: int) -> float:
    """The log move from the open at ``tick``: descend from the enclosing vertices."""
    j = tick // VERTEX_SPACING
    start = j * VERTEX_SPACING
    return _bridge(d.key, VERTEX_SPACING, tick - start, d.vertices[j], d.vertices[j + 1], d.sigma_tick, start)


@dataclass(frozen=True)
class _Levels:
    """Unrounded prices of one instrument at one moment."""

    prev_close: float
    open: float
    high: float
    low: float
    ltp: float
    volume: int


def _cumulative_volume_share(x: float) -> float:
    """Share of the day's volume traded by fraction ``x`` of the day: busier at both ends."""
    return x + 0.5 * math.sin(_TWO_PI * x) / _TWO_PI


@functools.lru_cache(maxsize=65536)
def _spot_levels(seed: int, spot: Instrument, day: int, tick: int) -> _Levels:
    """The spot's levels at one tick, cached: a chain prices dozens of options off the same
    underlying tick, and consecutive history bars share their ends."""
    return _spot_levels_uncached(seed, spot, day, tick)


def _spot_levels_uncached(seed: int, spot: Instrument, day: int, tick: int) -> _Levels:
    d = _day(seed, spot, day)
    j_next = min(-(-tick // VERTEX_SPACING), VERTICES)
    hi, lo = d.highs[j_next], d.lows[j_next]
    move = min(max(_bridge_at(d, tick), lo), hi)
    base = d.log_open
    volume = 0 if not spot.day_volume else int(d.volume * _cumulative_volume_share(tick / TICKS_PER_DAY))
    return _Levels(
        prev_close=d.prev_close, open=math.exp(base), high=math.exp(base + hi), low=math.exp(base + lo),
        ltp=math.exp(base + move), volume=volume,
    )


# --- Derivatives -------------------------------------------------------------------------

def _years_to_expiry(expiry: date, at: float) -> float:
    expiry_at = calendar.timegm(expiry.timetuple()) + EXPIRY_SECOND_OF_DAY_UTC
    return max(expiry_at - at, 0.0) / (365.0 * DAY_SECONDS)


def _option_value(inst: Instrument, spot: float, years: float) -> float:
    """Black-Scholes on spot at the carry rate (Black-76 on the carried forward), with the
    simulated surface's volatility for this strike and maturity."""
    assert inst.underlying is not None and inst.strike is not None and inst.option_type is not None
    vol = options_math.surface_vol(inst.underlying.kind, inst.strike, inst.underlying.base, years)
    forward = spot * math.exp(CARRY_RATE * years)
    return options_math.black76(forward, inst.strike, years, CARRY_RATE, vol, inst.option_type)


def _derived_levels(seed: int, inst: Instrument, day: int, tick: int, at: float) -> _Levels:
    assert inst.underlying is not None and inst.expiry is not None  # every future and option has both
    u = _spot_levels(seed, inst.underlying, day, tick)
    years = _years_to_expiry(inst.expiry, at)
    f: Callable[[float], float]
    if inst.kind == "future":
        carry = math.exp(CARRY_RATE * years)
        prev_carry = math.exp(CARRY_RATE * (years + 1 / 365))
        f = lambda s: s * carry  # noqa: E731 - monotone in the underlying
        prev_close, hi_from, lo_from = u.prev_close * prev_carry, u.high, u.low
    else:
        option_type = inst.option_type
        f = lambda s: _option_value(inst, s, years)  # noqa: E731
        prev_close = _option_value(inst, u.prev_close, years + 1 / 365)
        # A put falls as its underlying rises: its high comes from the underlying's low.
        hi_from, lo_from = (u.high, u.low) if option_type == "CE" else (u.low, u.high)
    key = _hash64(seed, "volume", inst.family, day)
    share = _cumulative_volume_share(tick / TICKS_PER_DAY)
    volume = int(inst.day_volume * math.exp(0.3 * _normal(key, 0)) * share)
    return _Levels(prev_close=prev_close, open=f(u.open), high=f(hi_from), low=f(lo_from), ltp=f(u.ltp), volume=volume)


# --- Rounding and the public snapshot ----------------------------------------------------

@functools.lru_cache(maxsize=64)
def _decimals(tick: float) -> int:
    exponent = Decimal(str(tick)).normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # a tick is a finite number
    return max(0, -exponent)


def round_to_tick(price: float, tick: float) -> float:
    """Nearest multiple of ``tick``, never below one tick."""
    return round(max(round(price / tick), 1) * tick, _decimals(tick))


@dataclass(frozen=True)
class Snapshot:
    symbol: str
    exchange: str
    ltp: float
    open: float
    high: float
    low: float
    prev_close: float
    volume: int
    bid: float
    ask: float
    ltq: int
    oi: int
    avg_trade_price: float
    timestamp: int  # Unix milliseconds
    tick_size: float
    lot_size: int

    @property
    def change(self) -> float:
        return round(self.ltp - self.prev_close, _decimals(self.tick_size))

    @property
    def change_percent(self) -> float:
        return round((self.ltp - self.prev_close) / self.prev_close * 100, 2) if self.prev_close else 0.0

    def as_dict(self) -> dict:
        """Every quote field under OpenAlgo's names (REST and WebSocket pick theirs)."""
        return {
            "symbol": self.symbol, "exchange": self.exchange, "ltp": self.ltp, "open": self.open,
            "high": self.high, "low": self.low, "close": self.prev_close, "prev_close": self.prev_close,
            "volume": self.volume, "bid": self.bid, "ask": self.ask, "ltq": self.ltq,
            "last_trade_quantity": self.ltq, "oi": self.oi, "avg_trade_price": self.avg_trade_price,
            "average_price": self.avg_trade_price,
            "change": self.change, "change_percent": self.change_percent, "timestamp": self.timestamp,
        }


def now() -> float:
    """The market clock (Unix seconds); tests move it, nothing else should."""
    return time.time()


def _seed(seed: int | None) -> int:
    if seed is not None:
        return seed
    from trading.conf import app_settings  # settings read at call time

    return int(app_settings.MARKET_SEED)


def configured_seed() -> int:
    """MARKET_SEED as the settings say now."""
    return _seed(None)


def _moment(at: float | None, at_ms: int | None) -> float:
    if at_ms is not None:
        return at_ms / 1000
    return now() if at is None else float(at)


def snapshot(
    symbol: str, exchange: str, at: float | None = None, *, at_ms: int | None = None, seed: int | None = None
) -> Snapshot:
    """Everything about ``symbol`` at Unix time ``at`` seconds (or ``at_ms``; default now)."""
    at = _moment(at, at_ms)
    seed = _seed(seed)
    inst = instrument(symbol, exchange)
    day, tick = _clock(at)
    if inst.underlying is not None:
        levels = _derived_levels(seed, inst, day, tick, at)
    else:
        levels = _spot_levels(seed, inst, day, tick)
    t = inst.tick
    ltp, high, low = round_to_tick(levels.ltp, t), round_to_tick(levels.high, t), round_to_tick(levels.low, t)
    open_ = round_to_tick(levels.open, t)
    noise = _mix(_hash64(seed, "book", inst.family, day), tick)
    behind = noise & 1  # the last trade hit the bid (1) or lifted the ask (0)
    spread = 1 + ((noise >> 1) & 1)
    bid = round_to_tick(ltp - behind * t, t)
    ask = round(bid + spread * t, _decimals(t))
    traded = inst.kind != "index"
    ltq = inst.lot * (1 + (noise >> 8) % 20) if traded else 0
    oi = 0
    if inst.kind in ("future", "option"):
        oi = inst.lot * (20_000 + _hash64(seed, "oi", inst.family, day) % 80_000)
    return Snapshot(
        symbol=inst.symbol, exchange=inst.exchange, ltp=ltp, open=open_, high=high, low=low,
        prev_close=round_to_tick(levels.prev_close, t), volume=levels.volume if traded else 0,
        bid=bid if traded else 0.0, ask=ask if traded else 0.0, ltq=ltq, oi=oi,
        avg_trade_price=round((open_ + high + low + ltp) / 4, 2), timestamp=int(at * 1000), tick_size=t,
        lot_size=inst.lot,
    )


@dataclass(frozen=True)
class Bar:
    """OHLCV of one instrument over [start, end) seconds, rounded to its tick."""

    open: float
    high: float
    low: float
    close: float
    volume: int
    oi: int


def bar(symbol: str, exchange: str, start: float, end: float, *, seed: int | None = None) -> Bar:
    """The bar of ``symbol`` from Unix time ``start`` to ``end`` (within one IST day): open
    and close are the prices the stream showed at those moments, high and low the extremes
    of the day's path between them, volume what traded in between.

    The close of a bar ending now is the quote's last price, so history and live ticks
    agree. High and low come from the path's vertices (~84 s apart) and the two ends.
    """
    seed = _seed(seed)
    inst = instrument(symbol, exchange)
    spot = inst.underlying or inst
    day, first = _clock(start)
    end_day, last = _clock(end)
    if end_day != day:
        last = TICKS_PER_DAY - 1
    last = max(last, first)
    d = _day(seed, spot, day)
    o, c = _spot_levels(seed, spot, day, first), _spot_levels(seed, spot, day, last)
    inner = d.vertices[-(-first // VERTEX_SPACING): last // VERTEX_SPACING + 1]
    ends = (math.log(o.ltp), math.log(c.ltp))
    hi = max(*ends, d.log_open + max(inner)) if inner else max(ends)
    lo = min(*ends, d.log_open + min(inner)) if inner else min(ends)
    share = _cumulative_volume_share(last / TICKS_PER_DAY) - _cumulative_volume_share(first / TICKS_PER_DAY)
    oi = 0
    if inst.underlying is None:
        prices = (o.ltp, math.exp(hi), math.exp(lo), c.ltp)
        volume = int(d.volume * share) if spot.day_volume else 0
    else:
        years = _years_to_expiry(inst.expiry, end) if inst.expiry else 0.0
        if inst.kind == "future":
            carry = math.exp(CARRY_RATE * years)
            prices = (o.ltp * carry, math.exp(hi) * carry, math.exp(lo) * carry, c.ltp * carry)
        else:
            value = lambda s: _option_value(inst, s, years)  # noqa: E731
            top, bottom = (math.exp(hi), math.exp(lo)) if inst.option_type == "CE" else (math.exp(lo), math.exp(hi))
            prices = (value(o.ltp), value(top), value(bottom), value(c.ltp))
        key = _hash64(seed, "volume", inst.family, day)
        volume = int(inst.day_volume * math.exp(0.3 * _normal(key, 0)) * share)
        oi = inst.lot * (20_000 + _hash64(seed, "oi", inst.family, day) % 80_000)
    t = inst.tick
    open_, high, low, close = (round_to_tick(p, t) for p in prices)
    return Bar(open=open_, high=max(high, open_, close), low=min(low, open_, close), close=close, volume=volume, oi=oi)


def quote(
    symbol: str, exchange: str, at: float | None = None, *, at_ms: int | None = None, seed: int | None = None
) -> dict:
    return snapshot(symbol, exchange, at, at_ms=at_ms, seed=seed).as_dict()


def ltp(
    symbol: str, exchange: str, at: float | None = None, *, at_ms: int | None = None, seed: int | None = None
) -> float:
    return snapshot(symbol, exchange, at, at_ms=at_ms, seed=seed).ltp


def depth(
    symbol: str, exchange: str, levels: int = 5, at: float | None = None, *, at_ms: int | None = None,
    seed: int | None = None,
) -> dict:
    """The quote plus ``levels`` price levels a side: ``bids`` (best first, falling) and
    ``asks`` (best first, rising), each level ``{price, quantity, orders}``."""
    if not 1 <= int(levels) <= MAX_DEPTH_LEVELS:
        raise ValueError(f"levels must be between 1 and {MAX_DEPTH_LEVELS}")
    snap = snapshot(symbol, exchange, at, at_ms=at_ms, seed=seed)
    seed = _seed(seed)
    t, digits = snap.tick_size, _decimals(snap.tick_size)
    key = _hash64(seed, "depth", snap.exchange, snap.symbol, *_clock(snap.timestamp / 1000))
    traded = snap.bid > 0
    buy, sell = [], []
    for level in range(int(levels)):
        b, s = _mix(key, 2 * level), _mix(key, 2 * level + 1)
        buy.append({
            "price": round(max(snap.bid - level * t, t), digits) if traded else 0.0,
            "quantity": snap.lot_size * (1 + b % 400) if traded else 0,
            "orders": 1 + (b >> 16) % 25 if traded else 0,
        })
        sell.append({
            "price": round(snap.ask + level * t, digits) if traded else 0.0,
            "quantity": snap.lot_size * (1 + s % 400) if traded else 0,
            "orders": 1 + (s >> 16) % 25 if traded else 0,
        })
    return {
        **snap.as_dict(),
        "bids": buy,
        "asks": sell,
        "totalbuyqty": sum(level["quantity"] for level in buy),
        "totalsellqty": sum(level["quantity"] for level in sell),
    }

