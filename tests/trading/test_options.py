"""Options: contract resolution, the chain, greeks, the synthetic future and option orders
(trading/options.py, trading/options_math.py) over HTTP and against textbook values."""
from __future__ import annotations

import math
from datetime import datetime

import pytest

from apikeys import services
from trading import instrument_master, market, market_calendar, options, options_math
from trading.models import Order, PendingOrder

from .support import IN_SESSION_AT, call, fast_password_hashing, market_in_session, ok  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("market_in_session")]

AT = IN_SESSION_AT



def chain(anon, key, underlying="NIFTY", exchange="NSE_INDEX", **fields) -> dict:
    return ok(call(anon, "optionchain", key, underlying=underlying, exchange=exchange, **fields))


# --- textbook values ---------------------------------------------------------------------------

def test_black76_matches_hulls_futures_option_example():
    # Hull, Options, Futures and Other Derivatives: a European put on a futures, F = K = 20,
    # r = 9 %, T = 4 months, sigma = 25 %: 1.12.
    assert options_math.black76(20, 20, 4 / 12, 0.09, 0.25, "PE") == pytest.approx(1.12, abs=0.005)


def test_black_scholes_on_spot_is_black76_on_the_carried_forward():
    # Hull: S = 42, K = 40, r = 10 %, sigma = 20 %, T = 6 months: call 4.76, put 0.81.
    forward = 42 * math.exp(0.1 * 0.5)
    assert options_math.black76(forward, 40, 0.5, 0.1, 0.2, "CE") == pytest.approx(4.76, abs=0.005)
    assert options_math.black76(forward, 40, 0.5, 0.1, 0.2, "PE") == pytest.approx(0.81, abs=0.005)


def test_greeks_match_hulls_delta_gamma_vega_example():
    # Hull: S = 49, K = 50, r = 5 %, sigma = 20 %, T = 20 weeks: delta 0.522, gamma 0.066, vega 12.1
    # (per unit of vol). Black-76 takes them with respect to F = S e^(rT).
    years, rate = 0.3846, 0.05
    carry = math.exp(rate * years)
    g = options_math.black76_greeks(49 * carry, 50, years, rate, 0.2, "CE")
    assert g.delta * carry == pytest.approx(0.522, abs=0.001)
    assert g.gamma * carry**2 == pytest.approx(0.066, abs=0.001)
    assert g.vega == pytest.approx(0.121, abs=0.001)  # per vol point
    price = options_math.black76(49 * carry, 50, years, rate, 0.2, "CE")
    assert price == pytest.approx(2.40, abs=0.005)
    assert g.rho == pytest.approx(-years * price / 100)


def test_implied_vol_recovers_the_vol_that_priced_it():
    price = options_math.black76(24_800, 25_000, 30 / 365, 0.065, 0.17, "PE")
    assert options_math.implied_vol(price, 24_800, 25_000, 30 / 365, 0.065, "PE") == pytest.approx(0.17, abs=1e-6)
    assert options_math.implied_vol(0.0001, 24_800, 20_000, 30 / 365, 0.065, "CE") is None  # below intrinsic


# --- the chain -----------------------------------------------------------------------------------

def test_the_chain_has_strike_count_strikes_each_side_with_labels(anon, platform_key):
    body = chain(anon, platform_key, strike_count=20)
    rows = body["chain"]
    assert len(rows) == 41
    spot = market.snapshot("NIFTY", "NSE_INDEX", AT).ltp
    assert body["underlying_ltp"] == spot and abs(body["atm_strike"] - spot) <= 25
    atm = next(r for r in rows if r["strike"] == body["atm_strike"])
    assert atm["ce"]["label"] == atm["pe"]["label"] == "ATM"
    below = rows[rows.index(atm) - 1]
    assert (below["ce"]["label"], below["pe"]["label"]) == ("ITM1", "OTM1")
    assert rows[-1]["ce"]["label"] == "OTM20"


def test_call_prices_fall_and_put_prices_rise_with_the_strike(anon, platform_key):
    for expiry in instrument_master.master().expiries[("NFO", "NIFTY", "OPT")]:
        rows = chain(anon, platform_key, expiry_date=instrument_master.expiry_code(expiry), strike_count=30)["chain"]
        calls = [r["ce"]["ltp"] for r in rows]
        puts = [r["pe"]["ltp"] for r in rows]
        assert calls == sorted(calls, reverse=True) and puts == sorted(puts), expiry
        assert all(r["ce"]["bid"] < r["ce"]["ask"] for r in rows)


def test_put_call_parity_holds_within_the_spread(anon, platform_key):
    body = chain(anon, platform_key, strike_count=15)
    expiry = datetime.strptime(body["expiry_date"], "%d%b%y")
    expiry_at = datetime(expiry.year, expiry.month, expiry.day, 15, 30, tzinfo=market_calendar.IST).timestamp()
    years = (expiry_at - AT) / (365 * 86400)
    spot = body["underlying_ltp"]
    for row in body["chain"]:
        ce, pe = row["ce"], row["pe"]
        parity = spot - row["strike"] * math.exp(-market.CARRY_RATE * years)
        spread = (ce["ask"] - ce["bid"]) + (pe["ask"] - pe["bid"])
        assert abs((ce["ltp"] - pe["ltp"]) - parity) <= spread, row["strike"]


def test_the_chain_with_greeks_and_a_stock_chain(anon, platform_key):
    rows = chain(anon, platform_key, strike_count=2, with_greeks=True)["chain"]
    assert all(0 < r["ce"]["delta"] < 1 and -1 < r["pe"]["delta"] < 0 and r["ce"]["iv"] > 0 for r in rows)
    stock = chain(anon, platform_key, underlying="RELIANCE", exchange="NSE", strike_count=5)
    assert len(stock["chain"]) == 11 and stock["chain"][0]["ce"]["symbol"].startswith("RELIANCE")


# --- optionsymbol, greeks, synthetic future --------------------------------------------------------

def test_optionsymbol_resolves_offsets_the_way_openalgo_does(anon, platform_key):
    atm = ok(call(anon, "optionsymbol", platform_key, underlying="NIFTY", exchange="NSE_INDEX", offset="ATM",
                  option_type="CE"))
    itm = ok(call(anon, "optionsymbol", platform_key, underlying="NIFTY", exchange="NSE_INDEX", offset="ITM2",
                  option_type="CE"))
    otm_put = ok(call(anon, "optionsymbol", platform_key, underlying="NIFTY", exchange="NSE_INDEX", offset="OTM2",
                      option_type="PE"))
    strike = lambda body: instrument_master.listing(body["symbol"], "NFO").strike  # noqa: E731
    assert strike(itm) == strike(atm) - 100 == strike(otm_put)
    assert (atm["exchange"], atm["lotsize"], atm["freeze_qty"]) == ("NFO", 75, 1800)
    assert atm["underlying_ltp"] == market.snapshot("NIFTY", "NSE_INDEX", AT).ltp


def test_optiongreeks_returns_the_surfaces_volatility_and_sane_greeks(anon, platform_key):
    symbol = ok(call(anon, "optionsymbol", platform_key, underlying="NIFTY", exchange="NSE_INDEX", offset="OTM3",
                     option_type="CE"))["symbol"]
    body = ok(call(anon, "optiongreeks", platform_key, symbol=symbol, exchange="NFO"))
    listing = instrument_master.listing(symbol, "NFO")
    spot_inst = market.instrument("NIFTY", "NSE_INDEX")
    surface = options_math.surface_vol("index", listing.strike, spot_inst.base, body["days_to_expiry"] / 365)
    assert body["implied_volatility"] == pytest.approx(surface * 100, abs=1.0)  # ticks round the price
    g = body["greeks"]
    assert 0 < g["delta"] < 0.5 and g["gamma"] > 0 and g["theta"] < 0 and g["vega"] > 0
    assert body["option_type"] == "CE" and body["underlying"] == "NIFTY"
    many = ok(call(anon, "multioptiongreeks", platform_key, symbols=[
        {"symbol": symbol, "exchange": "NFO"}, {"symbol": symbol.replace("CE", "PE"), "exchange": "NFO"}]))
    assert many["summary"] == {"total": 2, "success": 2, "failed": 0}
    partial = call(anon, "multioptiongreeks", platform_key, symbols=[
        {"symbol": symbol, "exchange": "NFO"}, {"symbol": "NIFTY01JAN20100CE", "exchange": "NFO"}]).json()
    assert partial["status"] == "partial" and partial["summary"]["failed"] == 1


def test_the_synthetic_future_is_near_the_carried_spot(anon, platform_key):
    body = ok(call(anon, "syntheticfuture", platform_key, underlying="NIFTY", exchange="NSE_INDEX"))
    assert abs(body["synthetic_future_price"] - body["underlying_ltp"]) < body["underlying_ltp"] * 0.02
    assert body["expiry"] == instrument_master.expiry_code(instrument_master.master().expiries[("NFO", "NIFTY", "OPT")][0])


def test_a_contract_is_picked_from_the_listing_its_underlying_was_resolved_against(monkeypatch):
    """Across IST midnight after an expiry: the request's own moment decides, not the clock."""
    from datetime import datetime, time, timedelta

    expiry = instrument_master.master(market.ist_date(AT)).expiries[("NFO", "NIFTY", "OPT")][0]
    at = datetime.combine(expiry, time(23, 59, 59), market_calendar.IST).timestamp()
    u = options.underlying_resolve("NIFTY", "NSE_INDEX", expiry, at=at)
    monkeypatch.setattr(market, "now", lambda: at + timedelta(minutes=1).total_seconds())  # that expiry is gone now
    listing = options.option_resolve(u, "ATM", "CE")
    assert listing.expiry == expiry and listing.symbol.startswith("NIFTY")


# --- option orders -------------------------------------------------------------------------------------

def test_optionsorder_places_the_resolved_contract(anon, platform_key):
    body = ok(call(anon, "optionsorder", platform_key, strategy="T", underlying="NIFTY", exchange="NSE_INDEX",
                   offset="ITM1", option_type="PE", action="BUY", quantity="75", product="NRML"))
    order = Order.objects.get(orderid=body["orderid"])
    assert (order.symbol, order.exchange, order.quantity) == (body["symbol"], "NFO", 75)
    assert body["offset"] == "ITM1" and body["underlying"] == "NIFTY" and body["option_type"] == "PE"


def test_option_orders_naming_an_expiry_can_be_retried_with_an_idempotency_key(anon, platform_key):
    expiry = instrument_master.expiry_code(instrument_master.master().expiries[("NFO", "NIFTY", "OPT")][0])
    single = {"apikey": platform_key, "strategy": "T", "underlying": "NIFTY", "exchange": "NSE_INDEX",
              "expiry_date": expiry, "offset": "ATM", "option_type": "CE", "action": "BUY", "quantity": "75"}
    multi = {"apikey": platform_key, "strategy": "T", "underlying": "NIFTY", "exchange": "NSE_INDEX",
             "legs": [{"offset": "ATM", "option_type": "PE", "action": "BUY", "quantity": 75, "expiry_date": expiry}]}
    for endpoint, body in (("optionsorder", single), ("optionsmultiorder", multi)):
        first = anon.post(f"/api/v1/{endpoint}", body, format="json", HTTP_IDEMPOTENCY_KEY=f"{endpoint}-1")
        again = anon.post(f"/api/v1/{endpoint}", body, format="json", HTTP_IDEMPOTENCY_KEY=f"{endpoint}-1")
        assert first.status_code == 200 and first.json()["status"] == "success", first.content
        assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 2


def test_an_options_order_with_a_splitsize_is_split_by_splitorders_rules(anon, platform_key):
    fields = {"strategy": "T", "underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM", "option_type": "CE",
              "action": "BUY", "product": "NRML"}
    ok(call(anon, "optionsorder", platform_key, quantity="150", splitsize="75", **fields))
    assert list(Order.objects.values_list("quantity", flat=True)) == [75, 75]
    refused = call(anon, "optionsorder", platform_key, quantity="7575", splitsize="1", **fields)
    assert refused.status_code == 400
    assert refused.json()["message"].endswith("Total number of orders would exceed maximum limit of 100")
    assert Order.objects.count() == 2


def test_optionsmultiorder_places_buy_legs_first_and_reports_every_leg(anon, platform_key):
    body = ok(call(anon, "optionsmultiorder", platform_key, strategy="T", underlying="NIFTY", exchange="NSE_INDEX",
                   legs=[{"offset": "ATM", "option_type": "CE", "action": "SELL", "quantity": 75},
                         {"offset": "OTM2", "option_type": "CE", "action": "BUY", "quantity": 75}]))
    assert [r["leg"] for r in body["results"]] == [1, 2]
    assert all(r["status"] == "success" for r in body["results"])
    placed = list(Order.objects.order_by("id").values_list("action", flat=True))
    assert placed == ["BUY", "SELL"]


def test_option_orders_queue_in_semi_auto_with_the_resolved_contract(anon, api, user, platform_key):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    body = ok(call(anon, "optionsorder", platform_key, strategy="T", underlying="NIFTY", exchange="NSE_INDEX",
                   offset="ATM", option_type="CE", action="BUY", quantity="75"))
    assert body["mode"] == "semi_auto" and not Order.objects.exists()
    pending = PendingOrder.objects.get()
    assert pending.api_type == "optionsorder" and pending.order_data["symbol"].startswith("NIFTY")
    approved = api.post(f"/api/v1/pendingorders/{body['pending_order_id']}/approve").json()
    assert approved["result"]["status"] == "success"
    assert Order.objects.get().symbol == pending.order_data["symbol"]
    multi = ok(call(anon, "optionsmultiorder", platform_key, strategy="T", underlying="NIFTY", exchange="NSE_INDEX",
                    legs=[{"offset": "OTM1", "option_type": "PE", "action": "BUY", "quantity": 75}]))
    assert PendingOrder.objects.get(pk=multi["pending_order_id"]).api_type == "optionsmultiorder"


@pytest.mark.parametrize(("endpoint", "fields", "needle", "status"), [
    ("optionsymbol", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM5", "option_type": "CE"},
     "Offset must be ATM, ITM1-ITM50, or OTM1-OTM50", 400),
    ("optionsymbol", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM", "option_type": "XX"},
     "Invalid option_type", 400),
    ("optionsymbol", {"underlying": "NIFTY", "exchange": "MCX", "offset": "ATM", "option_type": "CE"},
     "Options on exchange MCX", 400),
    ("optionsymbol", {"underlying": "TYPOSYMBL", "exchange": "NSE", "offset": "ATM", "option_type": "CE"},
     "Symbol TYPOSYMBL not found on NSE", 404),
    ("optionsymbol", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "OTM50", "option_type": "CE",
                      "expiry_date": "01JAN20"}, "No strikes found for NIFTY expiring 01JAN20", 404),
    ("optionsymbol", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM", "option_type": "CE",
                      "expiry_date": "31FEB26"}, "DDMMMYY", 400),
    ("optionchain", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_count": 0}, "strike_count", 400),
    ("optionchain", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_count": 101}, "strike_count", 400),
    ("optionchain", {"underlying": "WIPRO", "exchange": "NSE"}, "No options are listed for WIPRO", 404),
    ("optiongreeks", {"symbol": "SBIN", "exchange": "NSE"}, "Invalid exchange", 400),
    ("optiongreeks", {"symbol": "NIFTY01JAN20100CE", "exchange": "NFO"}, "not a listed option", 400),
    ("optiongreeks", {"symbol": "X", "exchange": "NFO", "interest_rate": 101}, "interest_rate", 400),
    ("optiongreeks", {"symbol": "X", "exchange": "NFO", "expiry_time": "25:00"}, "HH:MM", 400),
    ("optiongreeks", {"symbol": "X", "exchange": "NFO", "interest_rate": "NaN"}, "interest_rate", 400),
    ("optiongreeks", {"symbol": "X", "exchange": "NFO", "forward_price": "nan"}, "forward_price", 400),
    ("optionchain", {"underlying": "NIFTY", "exchange": "NSE_INDEX", "with_greeks": True, "interest_rate": "NaN"},
     "interest_rate", 400),
    ("multioptiongreeks", {"symbols": [{"symbol": "X", "exchange": "NFO"}], "interest_rate": "inf"}, "interest_rate", 400),
    ("optionchain", {"underlying": "NIFTY31FEB26FUT", "exchange": "NFO"}, "NIFTY31FEB26FUT not found", 404),
    ("optionsymbol", {"underlying": "NIFTY99JAN26FUT", "exchange": "NFO", "offset": "ATM", "option_type": "CE"},
     "NIFTY99JAN26FUT not found", 404),
    ("multioptiongreeks", {"symbols": []}, "at least one", 400),
    ("multioptiongreeks", {"symbols": [{"symbol": "NIFTY01JAN20100CE", "exchange": "NFO"}]}, "All option Greeks", 400),
    ("syntheticfuture", {"underlying": "NIFTY", "exchange": "NYSE"}, "Invalid exchange", 400),
    ("optionsorder", {"strategy": "T", "underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM",
                      "option_type": "CE", "action": "BUY", "quantity": 0}, "Quantity must be a positive integer", 400),
    ("optionsorder", {"strategy": "T", "underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM",
                      "option_type": "CE", "action": "BUY", "quantity": 75, "product": "CNC"}, "Invalid product", 400),
    ("optionsorder", {"strategy": "T", "underlying": "NIFTY", "exchange": "NSE_INDEX", "offset": "ATM",
                      "option_type": "CE", "action": "BUY", "quantity": 75, "pricetype": "LIMIT"},
     "Price is required for LIMIT orders", 400),
    ("optionsmultiorder", {"strategy": "T", "underlying": "NIFTY", "exchange": "NSE_INDEX", "legs": []},
     "at least one leg", 400),
    ("optionsmultiorder", {"strategy": "T", "underlying": "NIFTY", "exchange": "NSE_INDEX", "legs": "ATM"},
     "legs", 400),
])
def test_bad_option_input_gets_a_clear_4xx_and_places_nothing(anon, platform_key, endpoint, fields, needle, status):
    response = call(anon, endpoint, platform_key, **fields)
    body = response.json()
    assert response.status_code == status and body["status"] == "error" and needle in body["message"], body
    assert not Order.objects.exists() and not PendingOrder.objects.exists()
