"""The instrument master (trading/instrument_master.py) and the calendar it rolls on: what
is listed, and that an unlisted symbol is refused everywhere an order or quote starts."""
from __future__ import annotations

from datetime import date

import pytest

from trading import instrument_master, market, market_calendar
from trading.models import GttOrder, Order, PendingOrder

from .support import call, fast_password_hashing, freeze_market, order_body, place  # noqa: F401

pytestmark = pytest.mark.django_db

AT = 1_790_000_000.0  # 2026-09-21, a Monday
TODAY = date(2026, 9, 21)


@pytest.fixture(autouse=True)
def _frozen_market(monkeypatch, settings):
    settings.MARKET_SEED = 42
    freeze_market(monkeypatch, AT)


def rows(exchange: str, kind: str | None = None):
    return [r for r in instrument_master.master(TODAY).listings
            if r.exchange == exchange and (kind is None or r.instrumenttype == kind)]


def test_equities_indices_futures_and_options_are_listed_with_lot_and_tick():
    nse = rows("NSE")
    assert len(nse) >= 100 and all(r.instrumenttype == "EQ" and r.lotsize == 1 and r.tick_size > 0 for r in nse)
    assert {"NIFTY", "BANKNIFTY", "FINNIFTY"} <= {r.symbol for r in rows("NSE_INDEX")}
    assert {"SENSEX", "BANKEX"} <= {r.symbol for r in rows("BSE_INDEX")}
    assert {r.underlying for r in rows("MCX", "FUT")} >= {"GOLD", "SILVER", "CRUDEOIL", "NATURALGAS"}
    assert {r.underlying for r in rows("CDS", "FUT")} >= {"USDINR", "EURINR"}
    nifty = [r for r in rows("NFO", "CE") if r.underlying == "NIFTY"]
    assert nifty and all(r.lotsize == 75 and r.symbol.startswith("NIFTY") for r in nifty)
    assert instrument_master.listing("RELIANCE", "NSE", TODAY).as_row()["name"] == "Reliance Industries Ltd"


def test_expiries_roll_forward_weekly_and_monthly_on_the_right_weekdays():
    m = instrument_master.master(TODAY)
    nifty = m.expiries[("NFO", "NIFTY", "OPT")]
    assert nifty[0] >= TODAY and nifty == sorted(nifty)
    assert [d.weekday() for d in nifty[:4]] == [1, 1, 1, 1]  # weekly Tuesdays
    assert len(m.expiries[("NFO", "BANKNIFTY", "OPT")]) == 3  # monthly only
    assert all(d.weekday() == 3 for d in m.expiries[("BFO", "SENSEX", "OPT")])
    later = instrument_master.master(date(2026, 11, 20)).expiries[("NFO", "NIFTY", "OPT")]
    assert later[0] > nifty[-1] or later[0] >= date(2026, 11, 20)


def test_an_expiry_on_a_holiday_moves_to_the_previous_trading_day():
    # 2026-11-24 (a Tuesday) is a holiday in the shipped calendar: that week's NIFTY expiry is the 23rd.
    expiries = instrument_master.master(date(2026, 11, 17)).expiries[("NFO", "NIFTY", "OPT")]
    assert date(2026, 11, 23) in expiries and date(2026, 11, 24) not in expiries
    assert not market_calendar.is_trading_day("NFO", date(2026, 11, 24))


def test_the_strike_grid_surrounds_the_simulated_spot():
    m = instrument_master.master(TODAY)
    spot = market.snapshot("NIFTY", "NSE_INDEX", AT).ltp
    for expiry in m.expiries[("NFO", "NIFTY", "OPT")]:
        strikes = m.chains[("NFO", "NIFTY", expiry)]
        assert strikes[0] < spot * 0.9 and strikes[-1] > spot * 1.1
        assert {b - a for a, b in zip(strikes, strikes[1:], strict=False)} == {50}


def test_a_strike_listed_once_stays_listed_until_expiry():
    first = instrument_master.master(date(2026, 9, 1))
    for (exchange, root, expiry), strikes in first.chains.items():
        later = instrument_master.master(date(2026, 9, 21)).chains.get((exchange, root, expiry))
        if later is not None:
            assert set(strikes) <= set(later), (root, expiry)


# --- unknown symbols are refused ---------------------------------------------------------------

UNKNOWN_ORDER = "Symbol TYPOSYMBL not found on NSE"
UNKNOWN_QUOTE = ("Symbol 'TYPOSYMBL' not found for exchange 'NSE'. Please verify the symbol name and ensure master "
                 "contracts are downloaded.")


def test_an_order_for_an_unknown_symbol_is_refused_and_nothing_is_placed(anon, platform_key):
    response = place(anon, platform_key, symbol="TYPOSYMBL")
    assert (response.status_code, response.json()) == (400, {"status": "error", "message": UNKNOWN_ORDER})
    assert not Order.objects.exists() and not PendingOrder.objects.exists()


def test_an_expired_or_unlisted_contract_is_refused(anon, platform_key):
    for symbol in ("NIFTY01JAN20FUT", "NIFTY29SEP26123CE", "GOLD"):
        exchange = "MCX" if symbol == "GOLD" else "NFO"
        response = place(anon, platform_key, symbol=symbol, exchange=exchange)
        assert response.json() == {"status": "error", "message": f"Symbol {symbol} not found on {exchange}"}


@pytest.mark.parametrize(("endpoint", "fields", "message"), [
    ("quotes", {"symbol": "TYPOSYMBL", "exchange": "NSE"}, UNKNOWN_QUOTE),
    ("depth", {"symbol": "TYPOSYMBL", "exchange": "NSE"}, UNKNOWN_QUOTE),
    ("placesmartorder", {**order_body("", symbol="TYPOSYMBL"), "position_size": "5"}, UNKNOWN_ORDER),
    ("splitorder", {**order_body("", symbol="TYPOSYMBL"), "splitsize": "5"}, UNKNOWN_ORDER),
    ("modifyorder", {**order_body("", symbol="TYPOSYMBL", pricetype="LIMIT", price="10"), "orderid": "1",
                     "trigger_price": "0", "disclosed_quantity": "0"}, UNKNOWN_ORDER),
    ("basketorder", {"strategy": "T", "orders": [order_body("", symbol="TYPOSYMBL")]}, f"orders.0: {UNKNOWN_ORDER}"),
    ("margin", {"positions": [{"symbol": "TYPOSYMBL", "exchange": "NSE", "action": "BUY", "quantity": "1",
                               "product": "MIS", "pricetype": "MARKET"}]}, f"positions.0: {UNKNOWN_ORDER}"),
    ("placegttorder", {"strategy": "T", "trigger_type": "SINGLE", "symbol": "TYPOSYMBL", "exchange": "NSE",
                       "action": "BUY", "product": "CNC", "quantity": "1", "price": "10", "triggerprice_sl": "10"},
     UNKNOWN_ORDER),
])
def test_every_order_and_quote_endpoint_refuses_an_unknown_symbol(anon, platform_key, endpoint, fields, message):
    fields = {k: v for k, v in fields.items() if k != "apikey"}
    response = call(anon, endpoint, platform_key, **fields)
    assert (response.status_code, response.json()) == (400, {"status": "error", "message": message})
    assert not Order.objects.exists() and not GttOrder.objects.exists()
