"""Every order, account, data, options and utilities method of OpenAlgo's SDK
(``openalgo`` 2.0.5, its ``api`` class) against a live Keyward, called the way a
strategy calls it.

One test per method: it calls the method through the SDK (setting up what it needs,
such as a resting order to modify, through the SDK too) and checks the answer is a
success with the fields a strategy reads next. A method Keyward does not serve yet is
listed in NOT_SERVED_YET and expected to fail (strictly: once it works, the list must
shrink). ``pytest -v`` on this module prints the method → result table.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import pytest
from openalgo import api as OpenAlgoClient

from tests.livesupport import keyward_live  # noqa: F401

pytestmark = [pytest.mark.live, pytest.mark.own_services]

NOT_SERVED_YET: dict[str, str] = {}

_symbols = itertools.count()


def ok(result) -> dict:
    assert isinstance(result, dict) and result.get("status") == "success", result
    return result


def far_below(client, symbol: str) -> float:
    """A LIMIT BUY price that rests: half the last price."""
    return round(ok(client.quotes(symbol=symbol, exchange="NSE"))["data"]["ltp"] * 0.5, 1)


def resting_buy(client, symbol: str) -> str:
    placed = ok(client.placeorder(strategy="SDK", symbol=symbol, action="BUY", exchange="NSE", price_type="LIMIT",
                                  product="MIS", quantity=1, price=far_below(client, symbol)))
    return placed["orderid"]


# --- Order methods -----------------------------------------------------------------------

def call_placeorder(client):
    result = ok(client.placeorder(strategy="SDK", symbol="SBIN", action="BUY", exchange="NSE",
                                  price_type="MARKET", product="MIS", quantity=2))
    assert result["orderid"]


def call_placesmartorder(client):
    first = ok(client.placesmartorder(strategy="SDK", symbol="INFY", action="BUY", exchange="NSE",
                                      price_type="MARKET", product="MIS", quantity=3, position_size=3))
    assert first["orderid"]
    again = ok(client.placesmartorder(strategy="SDK", symbol="INFY", action="BUY", exchange="NSE",
                                      price_type="MARKET", product="MIS", quantity=3, position_size=3))
    assert again["message"] == "Positions Already Matched. No Action needed."
    assert ok(client.openposition(strategy="SDK", symbol="INFY", exchange="NSE", product="MIS"))["quantity"] == "3"


def call_basketorder(client):
    result = ok(client.basketorder(strategy="SDK", orders=[
        {"symbol": "RELIANCE", "exchange": "NSE", "action": "BUY", "quantity": 1, "pricetype": "MARKET",
         "product": "MIS"},
        {"symbol": "TCS", "exchange": "NSE", "action": "SELL", "quantity": 1, "pricetype": "MARKET",
         "product": "MIS"},
    ]))
    assert [(r["symbol"], r["status"]) for r in result["results"]] == [("RELIANCE", "success"), ("TCS", "success")]
    assert all(r["orderid"] for r in result["results"])


def call_splitorder(client):
    result = ok(client.splitorder(strategy="SDK", symbol="ITC", action="BUY", exchange="NSE", quantity=5,
                                  splitsize=2, price_type="MARKET", product="MIS"))
    assert [r["quantity"] for r in result["results"]] == [2, 2, 1]
    assert result["total_quantity"] == 5 and result["split_size"] == 2


def call_orderstatus(client):
    placed = ok(client.placeorder(strategy="SDK", symbol="WIPRO", action="BUY", exchange="NSE", quantity=1))
    status = ok(client.orderstatus(order_id=placed["orderid"], strategy="SDK"))["data"]
    assert status["order_status"] == "complete"


def call_openposition(client):
    ok(client.placeorder(strategy="SDK", symbol="NTPC", action="SELL", exchange="NSE", product="MIS", quantity=4))
    assert ok(client.openposition(strategy="SDK", symbol="NTPC", exchange="NSE", product="MIS"))["quantity"] == "-4"


def call_modifyorder(client):
    orderid = resting_buy(client, "ONGC")
    price = far_below(client, "ONGC") - 1
    result = ok(client.modifyorder(order_id=orderid, strategy="SDK", symbol="ONGC", action="BUY", exchange="NSE",
                                   price_type="LIMIT", product="MIS", quantity=2, price=price))
    assert result["orderid"] == orderid
    status = ok(client.orderstatus(order_id=orderid, strategy="SDK"))["data"]
    assert (status["quantity"], status["price"]) == ("2", price)


def call_cancelorder(client):
    orderid = resting_buy(client, "LT")
    assert ok(client.cancelorder(order_id=orderid, strategy="SDK"))["orderid"] == orderid


def call_closeposition(client):
    ok(client.placeorder(strategy="SDK", symbol="AXISBANK", action="BUY", exchange="NSE", quantity=1))
    ok(client.closeposition(strategy="SDK"))
    assert ok(client.openposition(strategy="SDK", symbol="AXISBANK", exchange="NSE", product="MIS"))["quantity"] == "0"


def call_cancelallorder(client):
    orderid = resting_buy(client, "KOTAKBANK")
    result = ok(client.cancelallorder(strategy="SDK"))
    assert orderid in result["canceled_orders"]


def _gtt_ltp(client, symbol: str) -> float:
    return ok(client.quotes(symbol=symbol, exchange="NSE"))["data"]["ltp"]


def call_placegttorder(client):
    ltp = _gtt_ltp(client, "MARUTI")
    single = ok(client.placegttorder(strategy="SDK", symbol="MARUTI", action="BUY", exchange="NSE",
                                     trigger_type="SINGLE", product="CNC", quantity=1, price_type="LIMIT",
                                     price=round(ltp * 0.8, 1), triggerprice_sl=round(ltp * 0.8, 1)))
    assert single["trigger_id"]
    oco = ok(client.placegttorder(strategy="SDK", symbol="MARUTI", action="SELL", exchange="NSE",
                                  trigger_type="OCO", product="CNC", quantity=1,
                                  triggerprice_sl=round(ltp * 0.8, 1), stoploss=round(ltp * 0.79, 1),
                                  triggerprice_tg=round(ltp * 1.2, 1), target=round(ltp * 1.21, 1)))
    assert oco["trigger_id"] != single["trigger_id"]


def call_modifygttorder(client):
    ltp = _gtt_ltp(client, "TATASTEEL")
    placed = ok(client.placegttorder(strategy="SDK", symbol="TATASTEEL", action="BUY", exchange="NSE",
                                     product="CNC", quantity=1, price=round(ltp * 0.8, 2),
                                     triggerprice_sl=round(ltp * 0.8, 2)))
    modified = ok(client.modifygttorder(trigger_id=placed["trigger_id"], strategy="SDK", symbol="TATASTEEL",
                                        action="BUY", exchange="NSE", product="CNC", quantity=2,
                                        price=round(ltp * 0.7, 2), triggerprice_sl=round(ltp * 0.7, 2)))
    assert modified["trigger_id"] == placed["trigger_id"]


def call_cancelgttorder(client):
    ltp = _gtt_ltp(client, "HDFCBANK")
    placed = ok(client.placegttorder(strategy="SDK", symbol="HDFCBANK", action="BUY", exchange="NSE",
                                     product="CNC", quantity=1, price=round(ltp * 0.8, 1),
                                     triggerprice_sl=round(ltp * 0.8, 1)))
    assert ok(client.cancelgttorder(trigger_id=placed["trigger_id"], strategy="SDK"))["trigger_id"] == placed[
        "trigger_id"]


def call_gttorderbook(client):
    ltp = _gtt_ltp(client, "ICICIBANK")
    placed = ok(client.placegttorder(strategy="SDK", symbol="ICICIBANK", action="BUY", exchange="NSE",
                                     product="CNC", quantity=1, price=round(ltp * 0.8, 1),
                                     triggerprice_sl=round(ltp * 0.8, 1)))
    book = ok(client.gttorderbook())["data"]
    assert placed["trigger_id"] in {row["trigger_id"] for row in book}


def call_optionsorder(client):
    result = ok(client.optionsorder(strategy="SDK", underlying="NIFTY", exchange="NSE_INDEX", offset="ATM",
                                    option_type="CE", action="BUY", quantity=75, product="MIS"))
    assert result["orderid"] and result["symbol"].endswith("CE")


def call_optionsmultiorder(client):
    result = ok(client.optionsmultiorder(strategy="SDK", underlying="NIFTY", exchange="NSE_INDEX", legs=[
        {"offset": "OTM2", "option_type": "CE", "action": "BUY", "quantity": 75},
        {"offset": "OTM2", "option_type": "PE", "action": "BUY", "quantity": 75},
    ]))
    assert len(result["results"]) == 2


# --- Data methods ------------------------------------------------------------------------

def _nifty_expiries(client) -> list[str]:
    return ok(client.expiry(symbol="NIFTY", exchange="NFO", instrumenttype="options"))["data"]


def _code(expiry_label: str) -> str:
    """30-DEC-25 (the master's expiry) as requests write it: 30DEC25."""
    return expiry_label.replace("-", "")


def call_quotes(client):
    assert ok(client.quotes(symbol="RELIANCE", exchange="NSE"))["data"]["ltp"] > 0


def call_multiquotes(client):
    results = ok(client.multiquotes(symbols=[{"symbol": "RELIANCE", "exchange": "NSE"},
                                             {"symbol": "NIFTY", "exchange": "NSE_INDEX"}]))["results"]
    assert [r["symbol"] for r in results] == ["RELIANCE", "NIFTY"] and all(r["data"]["ltp"] > 0 for r in results)


def call_depth(client):
    data = ok(client.depth(symbol="SBIN", exchange="NSE"))["data"]
    assert len(data["bids"]) == len(data["asks"]) == 5


def call_symbol(client):
    data = ok(client.symbol(symbol="RELIANCE", exchange="NSE"))["data"]
    assert (data["symbol"], data["instrumenttype"], data["lotsize"]) == ("RELIANCE", "EQ", 1)


def call_search(client):
    data = ok(client.search(query="NIFTY", exchange="NFO"))["data"]
    assert data and all(row["exchange"] == "NFO" for row in data)


def call_history(client):
    today = date.today()
    frame = client.history(symbol="SBIN", exchange="NSE", interval="D",
                           start_date=(today - timedelta(days=60)).isoformat(), end_date=today.isoformat())
    assert isinstance(frame, pd.DataFrame) and not frame.empty, frame
    assert {"open", "high", "low", "close", "volume"} <= set(frame.columns)
    minutes = client.history(symbol="NIFTY", exchange="NSE_INDEX", interval="5m",
                             start_date=(today - timedelta(days=7)).isoformat(), end_date=today.isoformat())
    assert isinstance(minutes, pd.DataFrame) and not minutes.empty, minutes


def call_intervals(client):
    assert "D" in ok(client.intervals())["data"]["days"]


def call_interval(client):
    assert "5m" in ok(client.interval())["data"]["minutes"]


def call_expiry(client):
    assert len(_nifty_expiries(client)) >= 4


def call_instruments(client):
    frame = client.instruments(exchange="NSE")
    assert isinstance(frame, pd.DataFrame) and len(frame) >= 100, frame
    assert {"symbol", "lotsize", "tick_size", "instrumenttype"} <= set(frame.columns)
    everything = client.instruments()
    assert isinstance(everything, pd.DataFrame) and {"NSE", "NFO", "MCX", "NSE_INDEX"} <= set(everything["exchange"])


def call_syntheticfuture(client):
    result = ok(client.syntheticfuture(underlying="NIFTY", exchange="NSE_INDEX",
                                       expiry_date=_code(_nifty_expiries(client)[0])))
    assert result["synthetic_future_price"] > 0 and result["atm_strike"] > 0


# --- Options methods -----------------------------------------------------------------------

def call_optionsymbol(client):
    result = ok(client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", offset="OTM2", option_type="PE",
                                    expiry_date=_code(_nifty_expiries(client)[0])))
    assert result["symbol"].endswith("PE") and result["exchange"] == "NFO" and result["lotsize"] == 75


def call_optionchain(client):
    result = ok(client.optionchain(underlying="NIFTY", exchange="NSE_INDEX",
                                   expiry_date=_code(_nifty_expiries(client)[0]), strike_count=10))
    assert len(result["chain"]) == 21 and result["chain"][10]["ce"]["label"] == "ATM"


def call_optiongreeks(client):
    symbol = ok(client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", offset="ATM", option_type="CE",
                                    expiry_date=_code(_nifty_expiries(client)[1])))["symbol"]
    result = ok(client.optiongreeks(symbol=symbol, exchange="NFO"))
    assert result["implied_volatility"] > 0 and 0 < result["greeks"]["delta"] < 1


# --- Utilities methods ---------------------------------------------------------------------

def call_holidays(client):
    result = ok(client.holidays(year=2026))
    assert result["year"] == 2026 and result["data"]


def call_timings(client):
    assert isinstance(ok(client.timings(date="2026-12-25"))["data"], list)


# --- Account methods ---------------------------------------------------------------------

def call_funds(client):
    assert "availablecash" in ok(client.funds())["data"]


def call_orderbook(client):
    ok(client.placeorder(strategy="SDK", symbol="YESBANK", action="BUY", exchange="NSE", quantity=1))
    assert ok(client.orderbook())["data"]["orders"]


def call_tradebook(client):
    ok(client.placeorder(strategy="SDK", symbol="NHPC", action="BUY", exchange="NSE", quantity=1))
    assert ok(client.tradebook())["data"]


def call_positionbook(client):
    ok(client.placeorder(strategy="SDK", symbol="IDEA", action="BUY", exchange="NSE", quantity=10))
    assert "IDEA" in {p["symbol"] for p in ok(client.positionbook())["data"]}


def call_holdings(client):
    data = ok(client.holdings())["data"]
    assert isinstance(data["holdings"], list) and "totalholdingvalue" in data["statistics"]


def call_analyzerstatus(client):
    data = ok(client.analyzerstatus())["data"]
    assert data["analyze_mode"] is True and data["mode"] == "analyze"


def call_analyzertoggle(client):
    data = ok(client.analyzertoggle(mode=True))["data"]
    assert data["analyze_mode"] is True and data["mode"] == "analyze"


def call_margin(client):
    data = ok(client.margin(positions=[
        {"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": "10", "product": "MIS",
         "pricetype": "MARKET"},
    ]))["data"]
    assert data["total_margin_required"] > 0


METHODS: dict[str, Callable] = {
    name.removeprefix("call_"): function for name, function in globals().items() if name.startswith("call_")
}


def _param(name: str):
    if name in NOT_SERVED_YET:
        return pytest.param(name, id=name, marks=pytest.mark.xfail(reason=NOT_SERVED_YET[name], strict=True))
    return pytest.param(name, id=name)


@pytest.fixture(scope="module")
def client(keyward_live):  # noqa: F811
    with OpenAlgoClient(api_key=keyward_live.seed_key("sdk-every-method"), host=keyward_live.url,
                        timeout=30) as sdk:
        yield sdk


def test_the_list_covers_every_order_account_data_options_and_utilities_method_of_the_sdk():
    from openalgo.account import AccountAPI
    from openalgo.data import DataAPI
    from openalgo.gtt import GTTAPI
    from openalgo.options import OptionsAPI
    from openalgo.orders import OrderAPI
    from openalgo.utilities import UtilitiesAPI

    public = lambda cls: {n for n, v in vars(cls).items() if callable(v) and not n.startswith("_")}  # noqa: E731
    classes = (OrderAPI, GTTAPI, AccountAPI, DataAPI, OptionsAPI, UtilitiesAPI)
    assert set().union(*(public(cls) for cls in classes)) == set(METHODS)


@pytest.mark.parametrize("method", [_param(name) for name in METHODS])
def test_sdk_method_succeeds(client, method):
    METHODS[method](client)
