"""OpenAlgo's instrument, history, options and calendar endpoints (docs/api/instruments.md):
symbol, search, expiry, instruments, intervals, history, multiquotes, optionsymbol,
optionchain, optiongreeks, multioptiongreeks, syntheticfuture, optionsorder,
optionsmultiorder, market/holidays and market/timings.

Thin, like views.py: validate, call instrument_master / history / options /
market_calendar, answer OpenAlgo's shape. Option orders resolve their contracts here,
then execute or queue like every other order (order_views.RoutedOrderView).
"""
from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.response import Response

from apikeys import scopes
from trading import data_serializers as d
from trading import history, instrument_master, market, market_calendar, options, order_kinds
from trading import order_serializers as inputs
from trading import serializers as s
from trading.errors import NotFound, TradingError
from trading.order_views import RoutedOrderView
from trading.views import _ERRORS, QUOTE_FIELDS, OpenAlgoView, _docs

_NOT_FOUND = {**_ERRORS, 404: OpenApiResponse(s.OpenAlgoError, description="Not in the instrument master")}
MAX_SEARCH_RESULTS = 500
MASTER_FIELDS = ("symbol", "brsymbol", "name", "exchange", "brexchange", "token", "expiry", "strike", "lotsize",
                 "instrumenttype", "tick_size")
_DATA_TAGS = ("trading", "market data")
_OPTION_TAGS = ("trading", "options")


@_docs("One instrument of the master contract", s.OpenAlgoAnswer, request=d.SymbolLookupInput, tags=_DATA_TAGS,
       errors=_NOT_FOUND)
class SymbolView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.SymbolLookupInput

    def answer(self, request):
        data = self.validated(request)
        listing = instrument_master.listing(data["symbol"], data["exchange"])
        if listing is None:
            raise NotFound(f"Symbol {data['symbol']} not found in exchange {data['exchange']}")
        return Response({"status": "success", "data": {"id": int(listing.token), **listing.as_row()}})


@_docs("Instruments whose symbol or name contains every word of the query", s.OpenAlgoAnswer,
       request=d.SearchInput, tags=_DATA_TAGS)
class SearchView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.SearchInput

    def answer(self, request):
        data = self.validated(request)
        words = data["query"].upper().split()
        if not words:
            raise TradingError("Query parameter is required and cannot be empty")
        exchange = data.get("exchange")
        master = instrument_master.master()
        found = [row for text, row in master.search_keys
                 if (exchange is None or row.exchange == exchange) and all(w in text for w in words)]
        if not found:
            return Response({"status": "success", "message": "No matching symbols found", "data": []})
        query = data["query"].strip().upper()
        # The symbol itself first, then spot before derivatives, then the nearest expiry.
        found.sort(key=lambda row: (row.symbol != query, row.expiry is not None, row.expiry or row.symbol,
                                    row.strike, row.symbol))
        shown = found[:MAX_SEARCH_RESULTS]
        message = f"Found {len(found)} matching symbols"
        if len(found) > len(shown):
            message += f" (the first {len(shown)} shown: narrow the query or name an exchange)"
        return Response({"status": "success", "message": message, "data": [row.as_row() for row in shown]})


@_docs("Listed expiries of an underlying's futures or options", s.OpenAlgoAnswer, request=d.ExpiryInput,
       tags=_DATA_TAGS)
class ExpiryView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.ExpiryInput

    def answer(self, request):
        data = self.validated(request)
        kind = data["instrumenttype"].lower()
        key = (data["exchange"], data["symbol"], "FUT" if kind == "futures" else "OPT")
        expiries = instrument_master.master().expiries.get(key, [])
        label = f"{data['symbol']} {kind} in {data['exchange']}"
        if not expiries:
            return Response({"status": "success", "message": f"No expiry dates found for {label}", "data": []})
        return Response({"status": "success", "message": f"Found {len(expiries)} expiry dates for {label}",
                         "data": [instrument_master.expiry_label(day) for day in expiries]})


@_docs("The master contract, JSON or CSV (format=csv), of one exchange or all",
       {(200, "application/json"): s.OpenAlgoAnswer, (200, "text/csv"): OpenApiTypes.STR},
       request=d.InstrumentsInput, tags=_DATA_TAGS)
class InstrumentsView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.InstrumentsInput

    def answer(self, request):
        data = self.validated(request)
        exchange = data.get("exchange")
        master = instrument_master.master()
        rows = [row.as_row() for row in (master.by_exchange.get(exchange, []) if exchange else master.listings)]
        if data["format"] == "CSV":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=MASTER_FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
            response = HttpResponse(out.getvalue(), content_type="text/csv")
            response["Content-Disposition"] = f"attachment; filename=instruments_{exchange or 'all'}.csv"
            return response
        trimmed = [{k: row[k] for k in MASTER_FIELDS} for row in rows]
        return Response({"status": "success", "message": f"Found {len(trimmed)} instruments", "data": trimmed})


@_docs("Intervals the history endpoint serves", s.OpenAlgoAnswer, tags=_DATA_TAGS)
class IntervalsView(OpenAlgoView):
    required_scope = scopes.READ_MARKET

    def answer(self, request):
        return Response({"status": "success", "data": history.INTERVALS})


@_docs("OHLCV bars of the simulated market, consistent with its quotes", s.OpenAlgoAnswer,
       request=d.HistoryInput, tags=_DATA_TAGS)
class HistoryView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.HistoryInput

    def answer(self, request):
        data = self.validated(request)
        try:
            rows = history.bars(data["symbol"], data["exchange"], data["interval"], data["start_date"],
                                data["end_date"])
        except history.HistoryError as refused:
            raise TradingError(str(refused)) from refused
        return Response({"status": "success", "data": rows})


@_docs("Quotes of several symbols at one moment", s.OpenAlgoAnswer, request=d.MultiQuotesInput, tags=_DATA_TAGS,
       get_too=False)
class MultiQuotesView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.MultiQuotesInput

    def answer(self, request):
        items = self.validated(request)["symbols"]
        at = market.now()
        results, invalid = [], []
        for item in items:
            symbol, exchange = item["symbol"], item["exchange"]
            if instrument_master.listing(symbol, exchange) is None:
                error = instrument_master.quote_not_found_message(symbol, exchange)
                invalid.append({"symbol": symbol, "exchange": exchange, "error": error})
                continue
            quote = market.quote(symbol, exchange, at)
            results.append({"symbol": symbol, "exchange": exchange, "data": {k: quote[k] for k in QUOTE_FIELDS}})
        if not results:
            return Response({"status": "error", "message": invalid[0]["error"], "invalid_symbols": invalid},
                            status=400)
        return Response({"status": "success", "results": invalid + results})


# --- Options --------------------------------------------------------------------------------------

def _underlying(data: dict, at: float) -> options.Underlying:
    return options.underlying_resolve(data["underlying"], data["exchange"], data.get("expiry_date"), at=at)


@_docs("The option contract at an offset (ATM, ITMn, OTMn) from the underlying's price", s.OpenAlgoAnswer,
       request=d.OptionSymbolInput, tags=_OPTION_TAGS, errors=_NOT_FOUND)
class OptionSymbolView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.OptionSymbolInput

    def answer(self, request):
        data = self.validated(request)
        u = _underlying(data, market.now())
        listing = options.option_resolve(u, data["offset"], data["option_type"], data.get("strike_int"))
        return Response(options.option_symbol_answer(u, listing))


@_docs("Option chain of an expiry: strike_count strikes either side of ATM, CE and PE quotes", s.OpenAlgoAnswer,
       request=d.OptionChainInput, tags=_OPTION_TAGS, errors=_NOT_FOUND)
class OptionChainView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.OptionChainInput

    def answer(self, request):
        data = self.validated(request)
        at = market.now()
        u = _underlying(data, at)
        return Response(options.option_chain(u, at=at, strike_count=data.get("strike_count"),
                                             with_greeks=data["with_greeks"], interest_rate=data.get("interest_rate")))


@_docs("Implied volatility and greeks (Black-76) of an option", s.OpenAlgoAnswer, request=d.OptionGreeksInput,
       tags=_OPTION_TAGS)
class OptionGreeksView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.OptionGreeksInput

    def answer(self, request):
        data = self.validated(request)
        return Response(options.option_greeks(
            data["symbol"], data["exchange"], at=market.now(), interest_rate=data.get("interest_rate"),
            forward_price=data.get("forward_price"), underlying_symbol=data.get("underlying_symbol"),
            underlying_exchange=data.get("underlying_exchange"), expiry_time=data.get("expiry_time"),
        ))


@_docs("Greeks of several options at one moment", s.OpenAlgoAnswer, request=d.MultiOptionGreeksInput,
       tags=_OPTION_TAGS, get_too=False)
class MultiOptionGreeksView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.MultiOptionGreeksInput

    def answer(self, request):
        data = self.validated(request)
        answer = options.multi_option_greeks(data["symbols"], at=market.now(), interest_rate=data.get("interest_rate"),
                                             expiry_time=data.get("expiry_time"))
        return Response(answer, status=400 if answer["status"] == "error" else 200)


@_docs("The future the ATM call and put imply (K + C - P)", s.OpenAlgoAnswer, request=d.SyntheticFutureInput,
       tags=_OPTION_TAGS, errors=_NOT_FOUND)
class SyntheticFutureView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.SyntheticFutureInput

    def answer(self, request):
        data = self.validated(request)
        at = market.now()
        return Response(options.synthetic_future(_underlying(data, at), at=at))


def _resolved_order(data: dict, u: options.Underlying, leg: dict, strategy: str) -> dict:
    """The placeorder fields of one option leg, checked by placeorder's own rules."""
    listing = options.option_resolve(u, leg["offset"], leg["option_type"], data.get("strike_int"))
    order = {
        "strategy": strategy, "symbol": listing.symbol, "exchange": listing.exchange, "action": leg["action"],
        "quantity": leg["quantity"], "pricetype": leg["pricetype"], "product": leg["product"],
        "price": leg["price"], "trigger_price": leg["trigger_price"], "disclosed_quantity": leg["disclosed_quantity"],
    }
    splitsize = leg.get("splitsize") or 0
    # placeorder's rules, or splitorder's (which add the split's own) for a split leg.
    rules = inputs.SplitOrderInput if splitsize else s.PlaceOrderInput
    checked = rules(data=order_kinds.jsonable({**order, "splitsize": splitsize} if splitsize else order))
    checked.is_valid(raise_exception=True)
    return {**order_kinds.jsonable(checked.validated_data), "splitsize": splitsize, "offset": leg["offset"],
            "option_type": leg["option_type"]}


@_docs("Buy or sell the option at an offset from the money (auto: executes; semi_auto: queued)", s.OpenAlgoAnswer,
       request=d.OptionsOrderInput, tags=_OPTION_TAGS, get_too=False, errors=_NOT_FOUND)
class OptionsOrderView(RoutedOrderView):
    input_serializer = d.OptionsOrderInput
    api_type = "optionsorder"

    def order_data(self, request, data: dict) -> dict:
        u = _underlying(data, market.now())
        order = _resolved_order(data, u, data, data["strategy"])
        return {**order, "underlying": data["underlying"], "underlying_ltp": u.ltp}


@_docs("Several option legs on one underlying, BUY legs first (auto: executes; semi_auto: queued as one)",
       s.OpenAlgoAnswer, request=d.OptionsMultiOrderInput, tags=_OPTION_TAGS, get_too=False, errors=_NOT_FOUND)
class OptionsMultiOrderView(RoutedOrderView):
    input_serializer = d.OptionsMultiOrderInput
    api_type = "optionsmultiorder"

    def order_data(self, request, data: dict) -> dict:
        at = market.now()
        default = _underlying(data, at)
        legs = []
        for number, leg in enumerate(data["legs"], start=1):
            u = default if not leg.get("expiry_date") else options.underlying_resolve(
                data["underlying"], data["exchange"], leg["expiry_date"], at=at)
            legs.append({**_resolved_order(data, u, leg, data["strategy"]), "leg": number})
        return {"strategy": data["strategy"], "underlying": data["underlying"], "underlying_ltp": default.ltp,
                "orders": legs}


# --- Market calendar ------------------------------------------------------------------------------

@_docs("Exchange holidays of a year (NSE's and MCX's published calendars)", s.OpenAlgoAnswer,
       request=d.HolidaysInput, tags=("trading", "market calendar"))
class MarketHolidaysView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.HolidaysInput

    def answer(self, request):
        year = self.validated(request).get("year") or market.ist_date().year
        return Response({"status": "success", "year": year, "timezone": "Asia/Kolkata",
                         "data": market_calendar.holidays(year)})


@_docs("Each exchange's session on a date (epoch milliseconds); none on a holiday", s.OpenAlgoAnswer,
       request=d.TimingsInput, tags=("trading", "market calendar"))
class MarketTimingsView(OpenAlgoView):
    required_scope = scopes.READ_MARKET
    input_serializer = d.TimingsInput

    def answer(self, request):
        return Response({"status": "success", "data": market_calendar.timings(self.validated(request)["date"])})


ENDPOINTS = {
    "symbol": SymbolView,
    "search": SearchView,
    "expiry": ExpiryView,
    "instruments": InstrumentsView,
    "intervals": IntervalsView,
    "history": HistoryView,
    "multiquotes": MultiQuotesView,
    "optionsymbol": OptionSymbolView,
    "optionchain": OptionChainView,
    "optiongreeks": OptionGreeksView,
    "multioptiongreeks": MultiOptionGreeksView,
    "syntheticfuture": SyntheticFutureView,
    "optionsorder": OptionsOrderView,
    "optionsmultiorder": OptionsMultiOrderView,
    "market/holidays": MarketHolidaysView,
    "market/timings": MarketTimingsView,
}
