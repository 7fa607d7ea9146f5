"""The simulated market (trading/market.py): deterministic across processes, realistic
in shape, consistent between quote and depth, and priced for any symbol."""
from __future__ import annotations

import json
import math

import pytest

from tests.support.processes import run_python, strong_env
from trading import instruments, market

AT = 1_790_000_000.0
SEED = 7
DAY = 86_400


def snap(symbol="RELIANCE", exchange="NSE", at=AT, seed=SEED):
    return market.snapshot(symbol, exchange, at, seed=seed)


def test_the_same_moment_gives_the_same_prices():
    assert snap() == snap()
    assert market.quote("RELIANCE", "NSE", at_ms=int(AT * 1000), seed=SEED) == snap().as_dict()


def test_a_separate_process_computes_identical_ticks():
    moments = [AT + k * 0.37 for k in range(50)] + [AT + k * 3600 for k in range(24)]
    code = (
        "import json; from trading import market;"
        f"print(json.dumps([market.quote(s, e, t, seed={SEED}) for s, e in "
        "[('RELIANCE','NSE'),('NIFTY','NSE_INDEX'),('GOLD','MCX'),('ANYTHING','BSE')]"
        f" for t in {moments!r}]))"
    )
    done = run_python(code, strong_env())
    assert done.returncode == 0, done.stderr
    here = [market.quote(s, e, t, seed=SEED) for s, e in
            [("RELIANCE", "NSE"), ("NIFTY", "NSE_INDEX"), ("GOLD", "MCX"), ("ANYTHING", "BSE")] for t in moments]
    assert json.loads(done.stdout) == here


def test_the_seed_changes_the_market():
    assert snap(seed=1).ltp != snap(seed=2).ltp


def test_prices_move_tick_by_tick():
    prices = {snap(at=AT + k * 0.1).ltp for k in range(100)}
    assert len(prices) > 5


def test_a_days_high_never_falls_low_never_rises_and_volume_only_grows():
    previous = None
    start = math.floor(AT / DAY) * DAY + 4 * 3600  # well inside one IST day
    for k in range(0, 3 * 3600, 7):
        s = snap("INFY", at=start + k)
        assert s.low <= s.ltp <= s.high and s.low <= s.open <= s.high
        assert s.bid <= s.ltp <= s.ask and s.bid < s.ask
        if previous is not None:
            assert s.high >= previous.high and s.low <= previous.low and s.volume >= previous.volume
            assert s.open == previous.open and s.prev_close == previous.prev_close
        previous = s


def test_days_join_up_the_close_is_the_next_previous_close():
    ist_midnight = math.floor((AT + market.IST_OFFSET_SECONDS) / DAY) * DAY - market.IST_OFFSET_SECONDS + DAY
    last = snap("TCS", at=ist_midnight - 0.2)
    first = snap("TCS", at=ist_midnight + 0.2)
    assert first.prev_close == pytest.approx(last.ltp, rel=0.002)
    assert first.open != last.open  # a new session


def test_prices_stay_realistic_over_years():
    closes = [snap("RELIANCE", at=AT - k * DAY).prev_close for k in range(0, 3 * 365, 5)]
    assert all(1290 * 0.6 < c < 1290 * 1.6 for c in closes)
    daily_moves = [abs(math.log(a / b)) for a, b in zip(closes[::1], closes[1:], strict=False)]
    assert 0.001 < sum(daily_moves) / len(daily_moves) < 0.1


def test_an_equity_has_one_price_on_nse_and_bse():
    assert snap("SBIN", "NSE").ltp == snap("SBIN", "BSE").ltp


def test_any_well_formed_symbol_is_priced_the_same_every_time():
    a, b = snap("NOTLISTED", "NSE"), snap("NOTLISTED", "NSE")
    assert a == b and a.ltp > 0 and a.volume > 0


def test_prices_are_on_the_tick_grid():
    for symbol, exchange, tick in [("RELIANCE", "NSE", 0.05), ("USDINR", "CDS", 0.0025), ("GOLD", "MCX", 1.0)]:
        s = snap(symbol, exchange)
        for price in (s.ltp, s.bid, s.ask, s.high, s.low, s.open):
            assert abs(price / tick - round(price / tick)) < 1e-6, (symbol, price)


def test_indices_have_levels_but_no_trading():
    s = snap("NIFTY", "NSE_INDEX")
    assert 15_000 < s.ltp < 40_000
    assert s.volume == 0 and s.bid == s.ask == 0


def test_a_future_tracks_its_underlying_with_carry():
    spot = snap("NIFTY", "NSE_INDEX", at=AT)
    future = snap("NIFTY29SEP27FUT", "NFO", at=AT)
    assert spot.ltp < future.ltp < spot.ltp * 1.1
    assert future.lot_size == 75 and future.oi > 0


def test_options_are_worth_at_least_their_intrinsic_value_and_move_with_the_underlying():
    spot = snap("NIFTY", "NSE_INDEX").ltp
    strike = int(spot // 100 * 100)
    call = snap(f"NIFTY29SEP26{strike}CE", "NFO")
    put = snap(f"NIFTY29SEP26{strike}PE", "NFO")
    assert call.ltp >= spot - strike and put.ltp > 0
    deep = snap(f"NIFTY29SEP26{strike - 5000}CE", "NFO")
    assert deep.ltp == pytest.approx(spot - (strike - 5000), rel=0.05)
    # A call is worth more when the underlying is higher: compare two moments.
    later = AT + 3600
    up = market.snapshot("NIFTY", "NSE_INDEX", later, seed=SEED).ltp > spot
    assert (snap(f"NIFTY29SEP26{strike}CE", "NFO", at=later).ltp > call.ltp) == up


@pytest.mark.parametrize("levels", instruments.DEPTH_LEVELS)
def test_depth_has_the_levels_asked_for_in_order(levels):
    book = market.depth("HDFCBANK", "NSE", levels=levels, at=AT, seed=SEED)
    bids, asks = book["bids"], book["asks"]
    assert len(bids) == len(asks) == levels
    assert bids[0]["price"] == book["bid"] and asks[0]["price"] == book["ask"]
    assert all(a["price"] > b["price"] for a, b in zip(bids, bids[1:], strict=False))
    assert all(b["price"] > a["price"] for a, b in zip(asks, asks[1:], strict=False))
    assert all(level["quantity"] > 0 and level["orders"] > 0 for level in bids + asks)
    assert book["totalbuyqty"] == sum(level["quantity"] for level in bids)


def test_depth_and_quote_agree():
    book = market.depth("ITC", "NSE", at=AT, seed=SEED)
    assert {k: book[k] for k in ("ltp", "bid", "ask", "volume")} == {
        k: market.quote("ITC", "NSE", AT, seed=SEED)[k] for k in ("ltp", "bid", "ask", "volume")
    }


@pytest.mark.parametrize("levels", [0, 51, -5])
def test_depth_refuses_impossible_level_counts(levels):
    with pytest.raises(ValueError):
        market.depth("ITC", "NSE", levels=levels, at=AT, seed=SEED)


def test_an_unknown_exchange_is_refused():
    with pytest.raises(ValueError):
        market.snapshot("SBIN", "NYSE", AT, seed=SEED)


def test_the_universe_spans_the_exchanges():
    exchanges = {i.exchange for i in market.universe()}
    assert {"NSE", "BSE", "NFO", "BFO", "MCX", "CDS", "NSE_INDEX"} <= exchanges
    for inst in market.universe():
        assert market.snapshot(inst.symbol, inst.exchange, AT, seed=SEED).ltp > 0


def test_the_seed_comes_from_settings_at_call_time(settings):
    settings.MARKET_SEED = 11
    first = market.snapshot("SBIN", "NSE", AT).ltp
    settings.MARKET_SEED = 12
    assert market.snapshot("SBIN", "NSE", AT).ltp != first
    assert market.snapshot("SBIN", "NSE", AT, seed=11).ltp == first
