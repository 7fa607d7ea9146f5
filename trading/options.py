"""Options on the instrument master: resolving an underlying, an expiry and an offset
(ATM, ITMn, OTMn) to a listed contract, the option chain, greeks and the synthetic
future, in OpenAlgo's shapes. Prices are the simulated market's at one moment, so a
chain is consistent within itself (call prices fall with the strike, put-call parity).

Greeks are Black-76 on the forward (trading/options_math.py). Unless the caller sends
them, the forward is the underlying carried to expiry at the simulated market's rate and
the rate is that same rate, so the implied volatility returned is the surface's.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from trading import instrument_master, market, market_calendar, options_math
from trading.errors import NotFound, TradingError

OPTIONS_EXCHANGE = {"NSE_INDEX": "NFO", "NSE": "NFO", "NFO": "NFO", "BSE_INDEX": "BFO", "BSE": "BFO", "BFO": "BFO"}
DEFAULT_EXPIRY_TIME = "15:30"
_EMBEDDED_EXPIRY = re.compile(r"^(?P<root>[A-Z0-9&\-]+?)(?P<code>\d{2}[A-Z]{3}\d{2})FUT$")


@dataclass(frozen=True)
class Underlying:
    root: str
    quote_symbol: str
    quote_exchange: str
    options_exchange: str
    expiry: date
    ltp: float
    at: float  # when it was resolved: the contracts listed then are the ones to pick from


def _code_date(code: str) -> date:
    return datetime.strptime(code.title(), "%d%b%y").date()


def underlying_resolve(underlying: str, exchange: str, expiry: date | None, *, at: float) -> Underlying:
    """The contract family an options request is about, and its underlying's price now.

    ``underlying`` is a root (NIFTY, RELIANCE) or a future (NIFTY30DEC25FUT, whose expiry
    then applies); without an expiry the nearest listed one is taken.
    """
    options_exchange = OPTIONS_EXCHANGE.get(exchange)
    if options_exchange is None:
        raise TradingError(f"Options on exchange {exchange} are not listed: use NSE_INDEX, NSE, NFO, BSE_INDEX, BSE or BFO")
    master = instrument_master.master(market.ist_date(at))
    root, quote_symbol, quote_exchange = underlying, underlying, exchange
    embedded = _EMBEDDED_EXPIRY.match(underlying)
    if embedded:
        root = embedded["root"]
        try:
            expiry = expiry or _code_date(embedded["code"])
        except ValueError:  # shaped like a future's name, but no date (NIFTY31FEB26FUT)
            raise NotFound(instrument_master.not_found_message(underlying, exchange)) from None
        quote_exchange = options_exchange
    elif exchange in ("NFO", "BFO"):
        spot = next((row for row in master.listings if row.symbol == root and row.instrumenttype in ("INDEX", "EQ")
                     and OPTIONS_EXCHANGE.get(row.exchange) == exchange), None)
        if spot is None:
            raise NotFound(instrument_master.not_found_message(underlying, exchange))
        quote_exchange = spot.exchange
    if master.get(quote_symbol, quote_exchange) is None:
        raise NotFound(instrument_master.not_found_message(quote_symbol, quote_exchange))
    expiries = master.expiries.get((options_exchange, root, "OPT"), [])
    if not expiries:
        raise NotFound(f"No options are listed for {root} on {options_exchange}")
    if expiry is None:
        expiry = expiries[0]
    elif expiry not in expiries:
        raise NotFound(f"No strikes found for {root} expiring {instrument_master.expiry_code(expiry)}. "
                       f"Listed expiries: {', '.join(instrument_master.expiry_code(d) for d in expiries)}")
    ltp = market.snapshot(quote_symbol, quote_exchange, at).ltp
    return Underlying(root, quote_symbol, quote_exchange, options_exchange, expiry, ltp, at)


def _offset_steps(offset: str, option_type: str) -> int:
    """Strikes above ATM (negative: below): ITM calls and OTM puts lie below."""
    if offset == "ATM":
        return 0
    n = int(offset[3:])
    below = (offset.startswith("ITM")) == (option_type == "CE")
    return -n if below else n


def option_resolve(u: Underlying, offset: str, option_type: str, strike_int: int | None = None) -> instrument_master.Listing:
    """The listed contract ``offset`` strikes from the money (OpenAlgo's optionsymbol rule)."""
    master = instrument_master.master(market.ist_date(u.at))
    strikes = master.chains[(u.options_exchange, u.root, u.expiry)]
    steps = _offset_steps(offset, option_type)
    strike: float
    if strike_int:
        strike = float(round(u.ltp / strike_int) * strike_int + steps * strike_int)
    else:
        atm = master.nearest_strike(u.options_exchange, u.root, u.expiry, u.ltp)
        assert atm is not None  # the expiry has strikes
        index = atm + steps
        if not 0 <= index < len(strikes):
            raise TradingError(f"Offset {offset} is out of range for available strikes. Please use a smaller offset.")
        strike = strikes[index]
    symbol = instrument_master.option_symbol(u.root, u.expiry, strike, option_type)
    listing = master.get(symbol, u.options_exchange)
    if listing is None:
        raise NotFound(f"Option symbol {symbol} not found in {u.options_exchange}. Symbol may not exist or master "
                       "contract needs update.")
    return listing


def option_symbol_answer(u: Underlying, listing: instrument_master.Listing) -> dict:
    return {"status": "success", "symbol": listing.symbol, "exchange": listing.exchange, "lotsize": listing.lotsize,
            "tick_size": listing.tick_size, "freeze_qty": listing.freeze_qty, "underlying_ltp": u.ltp}


# --- Greeks ------------------------------------------------------------------------------------

def _expiry_moment(expiry: date, expiry_time: str | None) -> datetime:
    hours, minutes = (int(p) for p in (expiry_time or DEFAULT_EXPIRY_TIME).split(":"))
    return datetime(expiry.year, expiry.month, expiry.day, tzinfo=market_calendar.IST) + timedelta(hours=hours,
                                                                                                     minutes=minutes)


def greeks_answer(listing: instrument_master.Listing, *, option_price: float, spot: float, at: float,
                  interest_rate: float | None = None, forward_price: float | None = None,
                  expiry_time: str | None = None) -> dict:
    """OpenAlgo's optiongreeks answer for one listed option priced ``option_price``."""
    assert listing.expiry is not None and listing.instrumenttype in ("CE", "PE")
    rate_percent = market.CARRY_RATE * 100 if interest_rate is None else interest_rate
    rate = rate_percent / 100
    seconds = _expiry_moment(listing.expiry, expiry_time).timestamp() - at
    years = max(seconds, 0.0) / (365.0 * 86400)
    forward = forward_price if forward_price else spot * math.exp(market.CARRY_RATE * years)
    option_type, strike = listing.instrumenttype, listing.strike
    intrinsic = options_math.intrinsic(spot, strike, option_type)
    answer = {
        "status": "success", "symbol": listing.symbol, "exchange": listing.exchange, "underlying": listing.underlying,
        "strike": round(strike, 2), "option_type": option_type,
        "expiry_date": f"{listing.expiry:%d}-{listing.expiry:%b}-{listing.expiry:%Y}",
        "days_to_expiry": round(years * 365, 4), "spot_price": round(spot, 2), "forward_price": round(forward, 2),
        "option_price": round(option_price, 2), "intrinsic_value": round(intrinsic, 2),
        "time_value": round(max(option_price - intrinsic, 0.0), 2), "interest_rate": round(rate_percent, 2),
    }
    if years <= 0:
        return {**answer, "implied_volatility": 0, "greeks": options_math.Greeks(0, 0, 0, 0, 0).as_dict(),
                "note": "Option has expired - Greeks are no longer applicable"}
    vol = options_math.implied_vol(option_price, forward, strike, years, rate, option_type)
    if vol is None:
        itm = options_math.Greeks(1.0 if option_type == "CE" else -1.0, 0, 0, 0, 0) if intrinsic > 0 else \
            options_math.Greeks(0, 0, 0, 0, 0)
        return {**answer, "implied_volatility": 0, "greeks": itm.as_dict(),
                "note": "IV calculation not possible - theoretical Greeks returned"}
    greeks = options_math.black76_greeks(forward, strike, years, rate, vol, option_type)
    return {**answer, "implied_volatility": round(vol * 100, 2), "greeks": greeks.as_dict()}


def listed_option(symbol: str, exchange: str, at: float) -> instrument_master.Listing:
    listing = instrument_master.master(market.ist_date(at)).get(symbol, exchange)
    if listing is None or listing.instrumenttype not in ("CE", "PE"):
        raise TradingError(f"Symbol {symbol} is not a listed option on {exchange}")
    return listing


def option_greeks(symbol: str, exchange: str, *, at: float, interest_rate: float | None = None,
                  forward_price: float | None = None, underlying_symbol: str | None = None,
                  underlying_exchange: str | None = None, expiry_time: str | None = None) -> dict:
    listing = listed_option(symbol, exchange, at)
    u_symbol = underlying_symbol or listing.underlying
    u_exchange = underlying_exchange or listing.underlying_exchange
    if instrument_master.master(market.ist_date(at)).get(u_symbol, u_exchange) is None:
        raise TradingError(instrument_master.not_found_message(u_symbol, u_exchange))
    spot = market.snapshot(u_symbol, u_exchange, at).ltp
    if underlying_symbol and _EMBEDDED_EXPIRY.match(u_symbol) and not forward_price:
        forward_price = spot  # a future is the forward
    option_price = market.snapshot(listing.symbol, listing.exchange, at).ltp
    return greeks_answer(listing, option_price=option_price, spot=spot, at=at, interest_rate=interest_rate,
                         forward_price=forward_price, expiry_time=expiry_time)


def multi_option_greeks(items: list[dict], *, at: float, interest_rate: float | None = None,
                        expiry_time: str | None = None) -> dict:
    results = []
    for item in items:
        try:
            results.append(option_greeks(item["symbol"], item["exchange"], at=at, interest_rate=interest_rate,
                                         underlying_symbol=item.get("underlying_symbol"),
                                         underlying_exchange=item.get("underlying_exchange"), expiry_time=expiry_time))
        except TradingError as refused:
            results.append({"status": "error", "symbol": item["symbol"], "exchange": item["exchange"],
                            "message": refused.message})
    failed = sum(1 for r in results if r["status"] == "error")
    status = "success" if not failed else ("partial" if failed < len(results) else "error")
    answer = {"status": status, "data": results,
              "summary": {"total": len(results), "success": len(results) - failed, "failed": failed}}
    if failed:
        messages = list(dict.fromkeys(r["message"] for r in results if r["status"] == "error"))[:3]
        prefix = "All option Greeks calculations failed" if status == "error" else \
            f"{failed} option Greeks calculation(s) failed"
        answer["message"] = f"{prefix}: {'; '.join(messages)}"
    return answer


# --- Chain and synthetic future ------------------------------------------------------------------

def _leg(listing: instrument_master.Listing, label: str, book: dict) -> dict:
    """A chain leg from the option's one-level book (which carries its quote)."""
    return {
        "symbol": listing.symbol, "label": label, "ltp": book["ltp"], "bid": book["bid"], "ask": book["ask"],
        "bid_qty": book["bids"][0]["quantity"], "ask_qty": book["asks"][0]["quantity"], "open": book["open"],
        "high": book["high"], "low": book["low"], "prev_close": book["prev_close"], "volume": book["volume"],
        "oi": book["oi"], "lotsize": listing.lotsize, "tick_size": listing.tick_size,
    }


def option_chain(u: Underlying, *, at: float, strike_count: int | None = None, with_greeks: bool = False,
                 interest_rate: float | None = None) -> dict:
    master = instrument_master.master(market.ist_date(at))
    strikes = master.chains[(u.options_exchange, u.root, u.expiry)]
    atm = master.nearest_strike(u.options_exchange, u.root, u.expiry, u.ltp)
    assert atm is not None
    first, last = (0, len(strikes)) if strike_count is None else (max(atm - strike_count, 0),
                                                                   min(atm + strike_count + 1, len(strikes)))
    seed = market.configured_seed()
    chain = []
    for index in range(first, last):
        strike = strikes[index]
        row: dict = {"strike": strike}
        for option_type, key in (("CE", "ce"), ("PE", "pe")):
            symbol = instrument_master.option_symbol(u.root, u.expiry, strike, option_type)
            listing = master.get(symbol, u.options_exchange)
            assert listing is not None  # every listed strike has both sides
            distance = abs(index - atm)
            below = index < atm
            label = "ATM" if distance == 0 else \
                f"{'ITM' if below == (option_type == 'CE') else 'OTM'}{distance}"
            book = market.depth(symbol, u.options_exchange, levels=1, at=at, seed=seed)
            leg = _leg(listing, label, book)
            if with_greeks:
                g = greeks_answer(listing, option_price=book["ltp"], spot=u.ltp, at=at, interest_rate=interest_rate)
                leg.update({"iv": g["implied_volatility"], **{k: v for k, v in g["greeks"].items() if k != "rho"}})
            row[key] = leg
        chain.append(row)
    return {"status": "success", "underlying": u.root, "underlying_ltp": u.ltp,
            "expiry_date": instrument_master.expiry_code(u.expiry), "atm_strike": strikes[atm], "chain": chain}


def synthetic_future(u: Underlying, *, at: float) -> dict:
    """K + C − P at the money: the forward the options imply."""
    master = instrument_master.master(market.ist_date(at))
    strikes = master.chains[(u.options_exchange, u.root, u.expiry)]
    atm_index = master.nearest_strike(u.options_exchange, u.root, u.expiry, u.ltp)
    assert atm_index is not None
    strike = strikes[atm_index]
    call = market.snapshot(instrument_master.option_symbol(u.root, u.expiry, strike, "CE"), u.options_exchange, at).ltp
    put = market.snapshot(instrument_master.option_symbol(u.root, u.expiry, strike, "PE"), u.options_exchange, at).ltp
    return {"status": "success", "underlying": u.root, "underlying_ltp": u.ltp,
            "expiry": instrument_master.expiry_code(u.expiry), "atm_strike": strike,
            "synthetic_future_price": round(strike + call - put, 2)}
