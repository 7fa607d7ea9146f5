"""The instrument, history and calendar endpoints over HTTP (docs/api/instruments.md):
OpenAlgo's shapes, answers consistent with the quotes, bad input refused in its JSON."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest

from trading import instrument_master, market, market_calendar

from .support import IN_SESSION_AT, call, fast_password_hashing, market_in_session, ok  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("market_in_session")]

AT = IN_SESSION_AT
TODAY = date(2026, 9, 22)



def test_symbol_gives_the_master_row(anon, platform_key):
    data = ok(call(anon, "symbol", platform_key, symbol="sbin", exchange="NSE"))["data"]
    assert data["symbol"] == "SBIN" and data["name"] == "State Bank of India"
    assert (data["instrumenttype"], data["lotsize"], data["tick_size"]) == ("EQ", 1, 0.05)
    future = instrument_master.front_futures(TODAY)[0]
    data = ok(call(anon, "symbol", platform_key, symbol=future.symbol, exchange=future.exchange))["data"]
    assert data["expiry"] == future.expiry_text and data["instrumenttype"] == "FUT"
    missing = call(anon, "symbol", platform_key, symbol="TYPOSYMBL", exchange="NSE")
    assert (missing.status_code, missing.json()) == (
        404, {"status": "error", "message": "Symbol TYPOSYMBL not found in exchange NSE"})


def test_search_matches_symbol_or_name_words_and_filters_by_exchange(anon, platform_key):
    rows = ok(call(anon, "search", platform_key, query="state bank"))["data"]
    assert {(r["symbol"], r["exchange"]) for r in rows} >= {("SBIN", "NSE"), ("SBIN", "BSE")}
    rows = ok(call(anon, "search", platform_key, query="SBIN", exchange="NFO"))["data"]
    assert rows and all(r["exchange"] == "NFO" and r["symbol"].startswith("SBIN") for r in rows)
    assert ok(call(anon, "search", platform_key, query="ZZZQQQ"))["data"] == []


def test_expiry_lists_futures_and_options_in_order(anon, platform_key):
    body = ok(call(anon, "expiry", platform_key, symbol="NIFTY", exchange="NFO", instrumenttype="options"))
    days = [datetime.strptime(d, "%d-%b-%y").date() for d in body["data"]]
    assert days == sorted(days) and days[0] >= TODAY and len(days) >= 5
    futures = ok(call(anon, "expiry", platform_key, symbol="NIFTY", exchange="NFO", instrumenttype="futures"))["data"]
    assert len(futures) == 3 and set(futures) <= set(body["data"])


def test_instruments_json_and_csv_agree(anon, platform_key):
    rows = ok(anon.get(f"/api/v1/instruments?apikey={platform_key}&exchange=NSE_INDEX"))["data"]
    assert {r["symbol"] for r in rows} >= {"NIFTY", "BANKNIFTY", "FINNIFTY"}
    response = anon.get(f"/api/v1/instruments?apikey={platform_key}&exchange=NSE_INDEX&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["symbol"] for r in table] == [r["symbol"] for r in rows]


def test_intervals_and_history_for_every_interval(anon, platform_key):
    intervals = ok(call(anon, "intervals", platform_key))["data"]
    names = [name for group in intervals.values() for name in group]
    assert {"1m", "5m", "15m", "1h", "D"} <= set(names)
    quote = market.snapshot("SBIN", "NSE", AT)
    for interval in names:
        start = TODAY - timedelta(days=40 if interval in ("W", "M", "D") else 3)
        rows = ok(call(anon, "history", platform_key, symbol="SBIN", exchange="NSE", interval=interval,
                       start_date=start.isoformat(), end_date=TODAY.isoformat()))["data"]
        assert rows, interval
        for row in rows:
            assert row["high"] >= max(row["open"], row["close"]) >= min(row["open"], row["close"]) >= row["low"]
        assert rows[-1]["close"] == quote.ltp, interval  # the last bar closes at the current price
        assert [r["timestamp"] for r in rows] == sorted({r["timestamp"] for r in rows})


def test_intraday_bars_have_no_gaps_inside_a_session_and_daily_bars_match_the_quote(anon, platform_key):
    rows = ok(call(anon, "history", platform_key, symbol="NIFTY", exchange="NSE_INDEX", interval="5m",
                   start_date="2026-09-21", end_date="2026-09-22"))["data"]
    monday = [r for r in rows if r["timestamp"] < AT - 86400 / 2]
    opens = datetime(2026, 9, 21, 9, 15, tzinfo=market_calendar.IST).timestamp()
    assert [r["timestamp"] for r in monday] == [int(opens) + 300 * k for k in range(75)]  # 09:15 to 15:30
    day = ok(call(anon, "history", platform_key, symbol="NIFTY", exchange="NSE_INDEX", interval="D",
                  start_date="2026-09-01", end_date="2026-09-22"))["data"]
    quote = market.snapshot("NIFTY", "NSE_INDEX", AT)
    assert (day[-1]["open"], day[-1]["high"], day[-1]["low"], day[-1]["close"]) == (
        quote.open, quote.high, quote.low, quote.ltp)
    weekdays = {datetime.utcfromtimestamp(r["timestamp"]).weekday() for r in day}
    assert weekdays <= {0, 1, 2, 3, 4}  # trading days only
    assert datetime.utcfromtimestamp(day[-1]["timestamp"]).date() == TODAY


def test_history_is_deterministic(anon, platform_key):
    fields = {"symbol": "RELIANCE", "exchange": "NSE", "interval": "15m", "start_date": "2026-09-15",
              "end_date": "2026-09-18"}
    assert ok(call(anon, "history", platform_key, **fields)) == ok(call(anon, "history", platform_key, **fields))


def test_multiquotes_marks_unknown_symbols_and_quotes_the_rest(anon, platform_key):
    body = ok(call(anon, "multiquotes", platform_key, symbols=[
        {"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "TYPOSYMBL", "exchange": "NSE"},
        {"symbol": "NIFTY", "exchange": "NSE_INDEX"}]))
    by_symbol = {r["symbol"]: r for r in body["results"]}
    assert by_symbol["SBIN"]["data"]["ltp"] == market.snapshot("SBIN", "NSE", AT).ltp
    assert by_symbol["TYPOSYMBL"]["error"].startswith("Symbol 'TYPOSYMBL' not found")
    only_bad = call(anon, "multiquotes", platform_key, symbols=[{"symbol": "TYPOSYMBL", "exchange": "NSE"}])
    assert only_bad.status_code == 400 and only_bad.json()["invalid_symbols"][0]["symbol"] == "TYPOSYMBL"


def test_holidays_and_timings(anon, platform_key):
    body = ok(call(anon, "market/holidays", platform_key, year=2026))
    assert body["year"] == 2026 and body["timezone"] == "Asia/Kolkata"
    christmas = next(h for h in body["data"] if h["date"] == "2026-12-25")
    assert "NSE" in christmas["closed_exchanges"] and christmas["open_exchanges"] == []
    timings = ok(call(anon, "market/timings", platform_key, date="2026-09-22"))["data"]
    nse = next(t for t in timings if t["exchange"] == "NSE")
    assert nse["start_time"] == int(datetime(2026, 9, 22, 9, 15, tzinfo=market_calendar.IST).timestamp() * 1000)
    assert ok(call(anon, "market/timings", platform_key, date="2026-12-25"))["data"] == []
    assert ok(call(anon, "market/timings", platform_key, date="2026-09-26"))["data"] == []  # a Saturday
    evening = ok(call(anon, "market/timings", platform_key, date="2026-11-24"))["data"]
    assert [t["exchange"] for t in evening] == ["MCX"]


@pytest.mark.parametrize(("endpoint", "fields", "needle"), [
    ("symbol", {"exchange": "NSE"}, "Missing mandatory field(s): symbol"),
    ("symbol", {"symbol": "SBIN", "exchange": "NYSE"}, "Invalid exchange"),
    ("search", {"query": ""}, "query"),
    ("search", {"query": "SBIN", "exchange": "XX"}, "Invalid exchange"),
    ("expiry", {"symbol": "NIFTY", "exchange": "NSE", "instrumenttype": "options"}, "Invalid exchange"),
    ("expiry", {"symbol": "NIFTY", "exchange": "NFO", "instrumenttype": "swaps"}, "Invalid instrumenttype"),
    ("instruments", {"format": "xml"}, "Invalid format"),
    ("history", {"symbol": "SBIN", "exchange": "NSE", "interval": "7m", "start_date": "2026-09-01",
                 "end_date": "2026-09-02"}, "Invalid interval"),
    ("history", {"symbol": "SBIN", "exchange": "NSE", "interval": "D", "start_date": "01-09-2026",
                 "end_date": "2026-09-02"}, "YYYY-MM-DD"),
    ("history", {"symbol": "SBIN", "exchange": "NSE", "interval": "D", "start_date": "2026-09-05",
                 "end_date": "2026-09-02"}, "start_date"),
    ("history", {"symbol": "SBIN", "exchange": "NSE", "interval": "1m", "start_date": "2025-01-01",
                 "end_date": "2026-09-02"}, "at most 30 days"),
    ("history", {"symbol": "SBIN", "exchange": "NSE", "interval": "D", "start_date": "1900-01-01",
                 "end_date": "1900-02-01"}, "2000-01-01"),
    ("history", {"symbol": "TYPOSYMBL", "exchange": "NSE", "interval": "D", "start_date": "2026-09-01",
                 "end_date": "2026-09-02"}, "not found"),
    ("multiquotes", {"symbols": []}, "at least one"),
    ("multiquotes", {"symbols": "SBIN"}, "symbols"),
    ("multiquotes", {"symbols": [{"symbol": "SBIN"}]}, "exchange"),
    ("market/holidays", {"year": 1999}, "Year must be between 2020 and 2050"),
    ("market/holidays", {"year": "abc"}, "Year must be a whole number"),
    ("market/timings", {"date": "2026-13-01"}, "YYYY-MM-DD"),
    ("market/timings", {"date": "2060-01-01"}, "between 2020-01-01 and 2050-12-31"),
    ("market/timings", {}, "Missing mandatory field(s): date"),
])
def test_bad_input_gets_a_clear_4xx_in_openalgos_shape(anon, platform_key, endpoint, fields, needle):
    response = call(anon, endpoint, platform_key, **fields)
    assert 400 <= response.status_code < 500, response.content
    body = response.json()
    assert body["status"] == "error" and needle in body["message"], body


NEW_ENDPOINTS = ["symbol", "search", "expiry", "instruments", "intervals", "history", "multiquotes", "optionsymbol",
                 "optionchain", "optiongreeks", "multioptiongreeks", "syntheticfuture", "optionsorder",
                 "optionsmultiorder", "market/holidays", "market/timings"]
GARBAGE = [
    {}, {"symbol": None, "exchange": None}, {"symbol": ["SBIN"], "exchange": {"x": 1}},
    {"symbol": "SBIN", "exchange": "NSE", "query": 5, "interval": 3, "start_date": 20260101, "end_date": None},
    {"underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": 1, "option_type": None, "expiry_date": 30,
     "strike_count": "many", "strike_int": -5, "with_greeks": "perhaps", "interest_rate": "NaN"},
    {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": "99XYZ99", "legs": [None, 1, "x"],
     "symbols": [None, 3, {"symbol": 1}], "quantity": 1e20, "year": 1e308, "date": ["2026-01-01"]},
    {"underlying": "NIFTY26JAN99FUT", "exchange": "NFO", "offset": "ATM", "option_type": "CE", "action": "BUY",
     "quantity": 75, "strategy": "x", "legs": [{"offset": "ITM50", "option_type": "PE", "action": "SELL",
                                                "quantity": 75, "expiry_date": "01JAN99"}]},
    {"symbol": "NIFTY" * 20, "exchange": "NFO", "symbols": [{"symbol": "A" * 60, "exchange": "NFO"}]},
]


@pytest.mark.parametrize("endpoint", NEW_ENDPOINTS)
@pytest.mark.parametrize("body", GARBAGE, ids=range(len(GARBAGE)))
def test_no_input_makes_a_new_endpoint_fail_with_a_5xx(anon, platform_key, endpoint, body):
    response = call(anon, endpoint, platform_key, **body)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response.json()["status"] == "error" and response.json()["message"]
