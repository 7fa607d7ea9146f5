"""The instrument master: every symbol the paper broker lists on a given IST date, in
OpenAlgo's symbol format and master-contract fields.

- Spot: the equities of trading/data/equities.csv on NSE and BSE, the indices
  (NSE_INDEX, BSE_INDEX), MCX commodities and CDS/BCD currency pairs, as the simulated
  market (trading/market.py) prices them.
- Futures: three monthly contracts on every F&O equity and index (NFO, BFO), each
  commodity (MCX) and currency pair (CDS).
- Options: weekly and monthly expiries on the indices, monthly on a few stocks. The
  strike grid of a contract covers ±15 % around every previous close of its underlying
  from the day it was listed to today, so strikes follow the simulated spot and never
  disappear before expiry.
- Expiries roll forward from today; one that falls on a holiday moves to the previous
  trading day (trading/market_calendar.py).

The master is built in memory once per date and process, deterministically from the
shipped data and the market seed; nothing is stored in the database. Symbols look like
``NIFTY30DEC2524000CE``, ``NIFTY30DEC25FUT``; expiries are written ``30-DEC-25``.
"""
from __future__ import annotations

import bisect
import calendar
import functools
import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from trading import market, market_calendar, reference_data

STRIKE_BAND = 0.15  # strikes span ±15 % around the underlying's closes since listing
MONTHLY_CONTRACTS = 3
WEEKLY_CONTRACTS = 4
# index: (options exchange, quote exchange, strike step, weekly expiry weekday or None, monthly weekday, freeze qty)
INDEX_DERIVATIVES = {
    "NIFTY": ("NFO", "NSE_INDEX", 50, 1, 1, 1800),
    "BANKNIFTY": ("NFO", "NSE_INDEX", 100, None, 1, 900),
    "FINNIFTY": ("NFO", "NSE_INDEX", 50, None, 1, 1800),
    "MIDCPNIFTY": ("NFO", "NSE_INDEX", 25, None, 1, 2800),
    "SENSEX": ("BFO", "BSE_INDEX", 100, 3, 3, 1000),
    "BANKEX": ("BFO", "BSE_INDEX", 100, None, 3, 900),
}
STOCK_OPTIONS = ("RELIANCE", "TCS", "INFY", "HDFCBANK", "ICICIBANK", "SBIN", "ITC", "AXISBANK", "TATAMOTORS",
                 "BAJFINANCE")
NSE_MONTHLY_WEEKDAY = 1  # Tuesday


@dataclass(frozen=True)
class Listing:
    symbol: str
    name: str
    exchange: str
    instrumenttype: str  # EQ, INDEX, FUT, CE, PE
    lotsize: int
    tick_size: float
    underlying: str = ""  # a derivative's underlying symbol
    underlying_exchange: str = ""
    expiry: date | None = None
    strike: float = 0.0
    freeze_qty: int = 1

    @property
    def token(self) -> str:
        digest = hashlib.blake2b(f"{self.exchange}:{self.symbol}".encode(), digest_size=8).digest()
        return str(100_000 + int.from_bytes(digest, "big") % 90_000_000)

    @property
    def expiry_text(self) -> str:
        return expiry_label(self.expiry) if self.expiry else ""

    def as_row(self) -> dict:
        """The fields of OpenAlgo's master contract (symbol, search and instruments answers)."""
        return {
            "symbol": self.symbol, "brsymbol": self.symbol, "name": self.name, "exchange": self.exchange,
            "brexchange": self.exchange, "token": self.token, "expiry": self.expiry_text, "strike": self.strike,
            "lotsize": self.lotsize, "instrumenttype": self.instrumenttype, "tick_size": self.tick_size,
            "freeze_qty": self.freeze_qty,
        }


@functools.lru_cache(maxsize=1024)
def expiry_code(day: date) -> str:
    """The expiry as written inside a symbol: 30DEC25."""
    return f"{day:%d}{calendar.month_abbr[day.month].upper()}{day:%y}"


def expiry_label(day: date) -> str:
    """The expiry as the master lists it: 30-DEC-25."""
    return f"{day:%d}-{calendar.month_abbr[day.month].upper()}-{day:%y}"


def strike_text(strike: float) -> str:
    return str(int(strike)) if float(strike).is_integer() else f"{strike:g}"


def option_symbol(root: str, expiry: date, strike: float, option_type: str) -> str:
    return f"{root}{expiry_code(expiry)}{strike_text(strike)}{option_type}"


def future_symbol(root: str, expiry: date) -> str:
    return f"{root}{expiry_code(expiry)}FUT"


# --- Expiry calendars ---------------------------------------------------------------------

def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _months_from(today: date, count: int) -> list[tuple[int, int]]:
    return [((today.month - 1 + k) // 12 + today.year, (today.month - 1 + k) % 12 + 1) for k in range(count)]


def _monthly(today: date, exchange: str, rule) -> list[date]:
    """The next MONTHLY_CONTRACTS monthly expiries on or after ``today`` (``rule`` gives a
    month's nominal expiry; holidays move it earlier)."""
    found: list[date] = []
    for year, month in _months_from(today, MONTHLY_CONTRACTS + 1):
        expiry = market_calendar.previous_trading_day(exchange, rule(year, month))
        if expiry >= today:
            found.append(expiry)
    return found[:MONTHLY_CONTRACTS]


def _weekly(today: date, exchange: str, weekday: int) -> list[date]:
    first = today + timedelta(days=(weekday - today.weekday()) % 7)
    nominal = [first + timedelta(weeks=k) for k in range(WEEKLY_CONTRACTS + 1)]
    found = sorted({market_calendar.previous_trading_day(exchange, d) for d in nominal})
    return [d for d in found if d >= today][:WEEKLY_CONTRACTS]


def _two_business_days_before_month_end(exchange: str):
    def rule(year: int, month: int) -> date:
        day = market_calendar.previous_trading_day(exchange, date(year, month, calendar.monthrange(year, month)[1]))
        for _ in range(2):
            day = market_calendar.previous_trading_day(exchange, day - timedelta(days=1))
        return day
    return rule


def _last_weekday_rule(weekday: int):
    return lambda year, month: _last_weekday(year, month, weekday)


# --- Strikes ----------------------------------------------------------------------------------

def _stock_strike_step(price: float) -> float:
    for limit, step in ((50, 0.5), (100, 1.0), (250, 2.5), (500, 5.0), (1000, 10.0), (2500, 20.0),
                        (5000, 50.0), (10000, 100.0)):
        if price < limit:
            return step
    return 250.0


def _listed_on(expiry: date, weekly: bool) -> date:
    """When a contract entered the rolling window (before or on the first day it shows)."""
    return expiry - timedelta(days=7 * (WEEKLY_CONTRACTS + 1) if weekly else 31 * (MONTHLY_CONTRACTS + 1))


def _closes(spot: market.Instrument, first: date, last: date, seed: int) -> list[float]:
    return [market.previous_close(spot, first + timedelta(days=k), seed) for k in range((last - first).days + 1)]


def _strikes(spot: market.Instrument, step: float, listed: date, today: date, seed: int) -> list[float]:
    closes = _closes(spot, listed, today, seed)
    low = math.floor(min(closes) * (1 - STRIKE_BAND) / step) * step
    high = math.ceil(max(closes) * (1 + STRIKE_BAND) / step) * step
    count = int(round((high - low) / step))
    return [round(low + k * step, 2) for k in range(count + 1) if low + k * step > 0]


# --- The master ---------------------------------------------------------------------------------

class Master:
    """Every listing of one date, indexed the ways the endpoints look them up."""

    def __init__(self, listings: list[Listing]) -> None:
        self.listings = listings
        self.by_key = {(row.exchange, row.symbol): row for row in listings}
        self.by_exchange: dict[str, list[Listing]] = defaultdict(list)
        self.expiries: dict[tuple[str, str, str], list[date]] = defaultdict(list)  # (exchange, root, FUT|OPT)
        self.chains: dict[tuple[str, str, date], list[float]] = defaultdict(list)  # (exchange, root, expiry)
        for row in listings:
            self.by_exchange[row.exchange].append(row)
            if row.expiry is None:
                continue
            kind = "FUT" if row.instrumenttype == "FUT" else "OPT"
            self.expiries[(row.exchange, row.underlying, kind)].append(row.expiry)
            if kind == "OPT" and row.instrumenttype == "CE":
                self.chains[(row.exchange, row.underlying, row.expiry)].append(row.strike)
        for kind_key, days in self.expiries.items():
            self.expiries[kind_key] = sorted(set(days))
        for chain_key, strikes in self.chains.items():
            self.chains[chain_key] = sorted(strikes)
        # Shared by every request: plain dicts, so a lookup of a missing key never inserts one.
        self.by_exchange, self.expiries, self.chains = dict(self.by_exchange), dict(self.expiries), dict(self.chains)
        self.search_keys = [(f"{row.symbol} {row.name}".upper(), row) for row in listings]

    def get(self, symbol: str, exchange: str) -> Listing | None:
        return self.by_key.get((exchange, symbol))

    def nearest_strike(self, exchange: str, root: str, expiry: date, price: float) -> int | None:
        """Index of the listed strike closest to ``price`` (the ATM strike), or None."""
        strikes = self.chains.get((exchange, root, expiry))
        if not strikes:
            return None
        at = bisect.bisect_left(strikes, price)
        candidates = [i for i in (at - 1, at) if 0 <= i < len(strikes)]
        return min(candidates, key=lambda i: (abs(strikes[i] - price), strikes[i]))


def _spot_listings() -> list[Listing]:
    rows = []
    names = {row["symbol"]: row["name"] for row in reference_data.equities()}
    for inst in market.listed_spots():
        if inst.kind in ("commodity", "currency"):
            continue  # traded as futures: the spot is their price reference only
        kind = "EQ" if inst.kind == "equity" else "INDEX"
        rows.append(Listing(inst.symbol, names.get(inst.symbol, inst.symbol), inst.exchange, kind, inst.lot, inst.tick))
    return rows


def _build(today: date, seed: int) -> Master:
    rows = _spot_listings()
    nse_monthly = _monthly(today, "NFO", _last_weekday_rule(NSE_MONTHLY_WEEKDAY))
    bse_monthly = _monthly(today, "BFO", _last_weekday_rule(3))

    def add_futures(root: str, exchange: str, underlying_exchange: str, expiries: list[date], freeze: int) -> None:
        for expiry in expiries:
            inst = market.instrument(future_symbol(root, expiry), exchange)
            rows.append(Listing(inst.symbol, root, exchange, "FUT", inst.lot, inst.tick, root, underlying_exchange,
                                expiry, 0.0, freeze))

    def add_options(root: str, exchange: str, underlying_exchange: str, expiries: list[date], weekly: set[date],
                    step: float, freeze: int) -> None:
        spot = market.instrument(root, underlying_exchange)
        for expiry in expiries:
            # Every option of a contract month shares its future's lot and tick.
            future = market.instrument(future_symbol(root, expiry), exchange)
            prefix = f"{root}{expiry_code(expiry)}"
            for strike in _strikes(spot, step, _listed_on(expiry, expiry in weekly), today, seed):
                text = strike_text(strike)
                for option_type in ("CE", "PE"):
                    rows.append(Listing(f"{prefix}{text}{option_type}", root, exchange, option_type, future.lot,
                                        future.tick, root, underlying_exchange, expiry, strike, freeze))

    for root, (exchange, quote_exchange, step, weekly_day, _monthly_day, freeze) in INDEX_DERIVATIVES.items():
        monthly = nse_monthly if exchange == "NFO" else bse_monthly
        weekly = set(_weekly(today, exchange, weekly_day)) if weekly_day is not None else set()
        add_futures(root, exchange, quote_exchange, monthly, freeze)
        # A monthly contract is listed months ahead, whether or not it is also this week's expiry.
        add_options(root, exchange, quote_exchange, sorted(weekly | set(monthly)), weekly - set(monthly), step, freeze)
    for row in reference_data.equities():
        if row["fno"] != "1":
            continue
        root, lot = row["symbol"], int(row["lot_size"])
        add_futures(root, "NFO", "NSE", nse_monthly, lot * 20)
        if root in STOCK_OPTIONS:
            add_options(root, "NFO", "NSE", nse_monthly, set(), _stock_strike_step(float(row["price"])), lot * 20)
    mcx = _monthly(today, "MCX", _two_business_days_before_month_end("MCX"))
    for root in market.commodity_roots():
        add_futures(root, "MCX", "MCX", mcx, 0)
    cds = _monthly(today, "CDS", _two_business_days_before_month_end("CDS"))
    for root in market.currency_roots():
        add_futures(root, "CDS", "CDS", cds, 0)
    return Master(rows)


@functools.lru_cache(maxsize=4)
def _master(today: date, seed: int) -> Master:
    return _build(today, seed)


def today() -> date:
    return market.ist_date()


def master(on: date | None = None) -> Master:
    """The master of ``on`` (default: today in IST) for the configured market seed."""
    return _master(on or today(), market.configured_seed())


def listing(symbol: str, exchange: str, on: date | None = None) -> Listing | None:
    return master(on).get(symbol, exchange)


def not_found_message(symbol: str, exchange: str) -> str:
    """OpenAlgo's refusal of a symbol its master contract does not hold."""
    return f"Symbol {symbol} not found on {exchange}"


def quote_not_found_message(symbol: str, exchange: str) -> str:
    """OpenAlgo's refusal of a quote, depth or history for a symbol it does not list."""
    return (f"Symbol '{symbol}' not found for exchange '{exchange}'. Please verify the symbol name and ensure "
            "master contracts are downloaded.")


def front_futures(on: date) -> list[Listing]:
    """Each underlying's nearest future (the market's default universe streams these)."""
    found: dict[str, Listing] = {}
    for row in master(on).listings:
        if row.instrumenttype == "FUT" and row.expiry is not None:
            key = f"{row.exchange}:{row.underlying}"
            if key not in found or row.expiry < (found[key].expiry or row.expiry):
                found[key] = row
    return list(found.values())
