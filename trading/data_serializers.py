"""Input validation of the instrument, history, options and calendar endpoints (OpenAlgo's
fields and rules, messages in its words), and their response shapes for the schema."""
from __future__ import annotations

import datetime as dt
import math
import re

from rest_framework import serializers

from trading import history, instruments, market_calendar
from trading import serializers as s
from trading.models import Action, PriceType, Product

FNO_EXCHANGES = ("NFO", "BFO", "MCX", "CDS", "BCD")
OFFSET = re.compile(r"^(ATM|ITM([1-9]|[1-4][0-9]|50)|OTM([1-9]|[1-4][0-9]|50))$")
MAX_MULTIQUOTES = 500
MAX_MULTIGREEKS = 100
MAX_OPTION_LEGS = 20
OPTION_TYPES = ("CE", "PE")
OPTION_PRODUCTS = (str(Product.MIS), str(Product.NRML))  # options trade intraday or carried, never CNC


class DateField(serializers.DateField):
    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d"], error_messages={
            "invalid": "Date must be in YYYY-MM-DD format.", "datetime": "Date must be in YYYY-MM-DD format."},
            **kwargs)


class OffsetField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=5, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip().upper()
        if not OFFSET.match(value):
            raise serializers.ValidationError("Offset must be ATM, ITM1-ITM50, or OTM1-OTM50")
        return value


class ExpiryDateField(serializers.CharField):
    """An expiry as OpenAlgo writes it in requests: DDMMMYY (30DEC25); 30-DEC-25 is accepted too."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data).strip().upper().replace("-", "")
        if len(text) > 9:
            raise serializers.ValidationError("Expiry date must be in DDMMMYY format (e.g. 30DEC25).")
        for pattern in ("%d%b%y", "%d%b%Y"):
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise serializers.ValidationError("Expiry date must be in DDMMMYY format (e.g. 30DEC25).")


class MultiQuoteItem(serializers.Serializer):
    symbol = s.SymbolField()
    exchange = s.exchange_field(instruments.EXCHANGES)


class MultiQuotesInput(serializers.Serializer):
    symbols = serializers.ListField(
        child=MultiQuoteItem(), allow_empty=False, max_length=MAX_MULTIQUOTES,
        error_messages={"empty": "Symbols must contain at least one symbol.",
                        "max_length": f"At most {MAX_MULTIQUOTES} symbols per request."},
    )


class SymbolLookupInput(serializers.Serializer):
    """symbol: listed or not, the endpoint answers (404 when not)."""

    symbol = s.SymbolField()
    exchange = s.exchange_field(instruments.EXCHANGES)


class SearchInput(serializers.Serializer):
    query = serializers.CharField(max_length=100, error_messages={
        "blank": "Query parameter is required and cannot be empty"})
    exchange = s.exchange_field(instruments.EXCHANGES, required=False)


class ExpiryInput(serializers.Serializer):
    symbol = s.SymbolField()
    exchange = s.exchange_field(FNO_EXCHANGES)
    instrumenttype = s.UpperChoiceField(["FUTURES", "OPTIONS"], label_for_errors="instrumenttype")


class InstrumentsInput(serializers.Serializer):
    exchange = s.exchange_field(instruments.EXCHANGES, required=False)
    format = s.UpperChoiceField(["JSON", "CSV"], label_for_errors="format", default="JSON")


class HistoryInput(serializers.Serializer):
    symbol = s.SymbolField()
    exchange = s.exchange_field(instruments.EXCHANGES)
    interval = serializers.ChoiceField(history.interval_names(), error_messages={
        "invalid_choice": f"Invalid interval. Must be one of: {', '.join(history.interval_names())}"})
    start_date = DateField()
    end_date = DateField()
    source = s.UpperChoiceField(["API", "DB"], label_for_errors="source", default="API")

    def validate(self, attrs):
        if attrs["start_date"] > attrs["end_date"]:
            raise serializers.ValidationError({"start_date": "start_date must not be after end_date."})
        return s.require_listed(attrs, for_order=False)


class _UnderlyingInput(serializers.Serializer):
    underlying = s.SymbolField()
    exchange = s.exchange_field(instruments.EXCHANGES)
    expiry_date = ExpiryDateField(required=False)
    strike_int = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100_000)


class FiniteFloatField(serializers.FloatField):
    """A float that is a number: "NaN" passes FloatField and every min/max check (NaN
    compares false), then breaks the JSON answer."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


def _interest_rate() -> FiniteFloatField:
    return FiniteFloatField(required=False, allow_null=True, min_value=0, max_value=100)


def _expiry_time() -> serializers.RegexField:
    return serializers.RegexField(r"^([01]\d|2[0-3]):[0-5]\d$", required=False, error_messages={
        "invalid": "expiry_time must be HH:MM (e.g. 15:30)."})


class OptionSymbolInput(_UnderlyingInput):
    strategy = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    offset = OffsetField()
    option_type = s.UpperChoiceField(OPTION_TYPES, label_for_errors="option_type")


class OptionChainInput(_UnderlyingInput):
    strike_count = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100)
    with_greeks = serializers.BooleanField(required=False, default=False)
    interest_rate = _interest_rate()


class SyntheticFutureInput(_UnderlyingInput):
    pass


class OptionGreeksInput(serializers.Serializer):
    symbol = s.SymbolField()
    exchange = s.exchange_field(FNO_EXCHANGES)
    interest_rate = _interest_rate()
    forward_price = FiniteFloatField(required=False, allow_null=True, min_value=0.0001, max_value=1e9)
    underlying_symbol = s.SymbolField(required=False)
    underlying_exchange = s.exchange_field(instruments.EXCHANGES, required=False)
    expiry_time = _expiry_time()


class MultiGreeksItem(serializers.Serializer):
    symbol = s.SymbolField()
    exchange = s.exchange_field(FNO_EXCHANGES)
    underlying_symbol = s.SymbolField(required=False)
    underlying_exchange = s.exchange_field(instruments.EXCHANGES, required=False)


class MultiOptionGreeksInput(serializers.Serializer):
    symbols = serializers.ListField(
        child=MultiGreeksItem(), allow_empty=False, max_length=MAX_MULTIGREEKS,
        error_messages={"empty": "Symbols must contain at least one symbol.",
                        "max_length": f"At most {MAX_MULTIGREEKS} symbols per request."},
    )
    interest_rate = _interest_rate()
    expiry_time = _expiry_time()


def _quantity(label: str = "Quantity") -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=s.MAX_QUANTITY, error_messages={
        "min_value": f"{label} must be a positive integer.", "invalid": f"{label} must be a positive integer."})


class _OptionOrderFields(serializers.Serializer):
    offset = OffsetField()
    option_type = s.UpperChoiceField(OPTION_TYPES, label_for_errors="option_type")
    action = s.UpperChoiceField(Action.values, label_for_errors="action")
    quantity = _quantity()
    splitsize = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=s.MAX_QUANTITY,
                                         default=0)
    pricetype = s.UpperChoiceField(PriceType.values, label_for_errors="pricetype", default=PriceType.MARKET)
    product = s.UpperChoiceField(OPTION_PRODUCTS, label_for_errors="product", default=Product.MIS)
    price = s._price_field("Price", default=0)
    trigger_price = s._price_field("Trigger price", default=0)
    disclosed_quantity = serializers.IntegerField(min_value=0, max_value=s.MAX_QUANTITY, default=0)


class OptionsOrderInput(_UnderlyingInput, _OptionOrderFields):
    strategy = serializers.CharField(max_length=100, allow_blank=True)


class OptionsLegInput(_OptionOrderFields):
    expiry_date = ExpiryDateField(required=False)


class OptionsMultiOrderInput(_UnderlyingInput):
    strategy = serializers.CharField(max_length=100, allow_blank=True)
    legs = serializers.ListField(
        child=OptionsLegInput(), allow_empty=False, max_length=MAX_OPTION_LEGS,
        error_messages={"empty": "Legs must contain at least one leg.",
                        "max_length": f"At most {MAX_OPTION_LEGS} legs per request."},
    )


_YEARS = f"between {market_calendar.FIRST_YEAR} and {market_calendar.LAST_YEAR}"


class HolidaysInput(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=market_calendar.FIRST_YEAR, max_value=market_calendar.LAST_YEAR,
        error_messages={"min_value": f"Year must be {_YEARS}", "max_value": f"Year must be {_YEARS}",
                        "invalid": "Year must be a whole number."})


class TimingsInput(serializers.Serializer):
    date = DateField()

    def validate_date(self, value: dt.date) -> dt.date:
        first, last = dt.date(market_calendar.FIRST_YEAR, 1, 1), dt.date(market_calendar.LAST_YEAR, 12, 31)
        if not first <= value <= last:
            raise serializers.ValidationError(f"Date must be between {first} and {last}")
        return value

