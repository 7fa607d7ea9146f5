"""Input validation of the trading API (OpenAlgo's rules) and its response shapes for
the OpenAPI schema. Numbers may arrive as JSON numbers or numeric strings (the SDK
sends strings); enums are matched case-insensitively; unknown fields are ignored.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trading import instrument_master, instruments
from trading.models import Action, PendingStatus, PriceType, Product

MAX_QUANTITY = 10_000_000
MAX_PRICE = Decimal("1000000000")


class UpperChoiceField(serializers.ChoiceField):
    """A choice matched case-insensitively, with OpenAlgo's "Must be one of" message."""

    def __init__(self, choices, *, label_for_errors: str, **kwargs):
        values = [c[0] if isinstance(c, tuple) else c for c in choices]
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": f"Invalid {label_for_errors}. Must be one of: {', '.join(values)}"},
        )
        super().__init__(choices=values, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


@extend_schema_field({
    "type": "string", "maxLength": 50, "pattern": instruments.SYMBOL_PATTERN.pattern,
    "description": "Letters, digits and & _ . - (case-insensitive), e.g. RELIANCE, NIFTY30JAN25FUT",
})
class SymbolField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=50, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Symbol must be a string.")
        value = instruments.normalize_symbol(super().to_internal_value(data))
        if not instruments.is_valid_symbol(value):
            raise serializers.ValidationError(
                "Invalid symbol: use letters, digits and & _ . - (e.g. RELIANCE, NIFTY30JAN25FUT)"
            )
        return value


def require_listed(attrs: dict, *, for_order: bool = True) -> dict:
    """Refuse a symbol the instrument master does not list on its exchange, in OpenAlgo's
    words (an order's refusal and a quote's differ there as they do in OpenAlgo)."""
    symbol, exchange = attrs.get("symbol"), attrs.get("exchange")
    if symbol and exchange and instrument_master.listing(symbol, exchange) is None:
        message = (instrument_master.not_found_message if for_order else instrument_master.quote_not_found_message)
        raise serializers.ValidationError(message(symbol, exchange))
    return attrs


class PriceField(serializers.DecimalField):
    """A price as number or numeric string, rounded to 4 places rather than refused:
    scripts compute prices in floats and send 891.1980000000001."""

    def validate_precision(self, value):
        try:
            value = value.quantize(Decimal(1).scaleb(-self.decimal_places), rounding=self.rounding)
        except InvalidOperation:  # too many digits to round: let the digit check refuse it
            pass
        return super().validate_precision(value)


def _price_field(label: str, **kwargs) -> serializers.DecimalField:
    return PriceField(
        max_digits=16, decimal_places=4, rounding=ROUND_HALF_UP, min_value=Decimal(0), max_value=MAX_PRICE,
        error_messages={
            "min_value": f"{label} must be a non-negative number.", "invalid": f"{label} must be a number.",
        },
        **kwargs,
    )


def exchange_field(choices, **kwargs) -> UpperChoiceField:
    return UpperChoiceField(choices, label_for_errors="exchange", **kwargs)


class PlaceOrderInput(serializers.Serializer):
    strategy = serializers.CharField(max_length=100, allow_blank=True)
    symbol = SymbolField()
    exchange = exchange_field(instruments.ORDER_EXCHANGES)
    action = UpperChoiceField(Action.values, label_for_errors="action")
    pricetype = UpperChoiceField(PriceType.values, label_for_errors="pricetype", default=PriceType.MARKET)
    product = UpperChoiceField(Product.values, label_for_errors="product", default=Product.MIS)
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_QUANTITY,
        error_messages={
            "min_value": "Quantity must be a positive number.",
            "invalid": "Quantity must be a positive whole number.",
        },
    )
    price = _price_field("Price", default=Decimal(0))
    trigger_price = _price_field("Trigger price", default=Decimal(0))
    disclosed_quantity = serializers.IntegerField(
        min_value=0, max_value=MAX_QUANTITY, default=0,
        error_messages={"min_value": "Disclosed quantity must be a non-negative integer."},
    )
    idempotency_key = serializers.CharField(
        max_length=255, required=False, trim_whitespace=False,
        help_text="Optional, as the Idempotency-Key header: a retry with the same key within 24 h "
                  "returns the first answer and places nothing.",
    )

    def validate(self, attrs):
        pricetype, price, trigger = attrs["pricetype"], attrs["price"], attrs["trigger_price"]
        errors = {}
        if pricetype in (PriceType.LIMIT, PriceType.SL) and price <= 0:
            errors["price"] = f"Price is required for {pricetype} orders."
        if pricetype in (PriceType.SL, PriceType.SL_M) and trigger <= 0:
            errors["trigger_price"] = f"Trigger price is required for {pricetype} orders."
        if not errors and pricetype == PriceType.SL:
            if attrs["action"] == Action.BUY and trigger > price:
                errors["trigger_price"] = "Trigger price of a BUY SL order must not be above its price."
            if attrs["action"] == Action.SELL and trigger < price:
                errors["trigger_price"] = "Trigger price of a SELL SL order must not be below its price."
        if attrs["disclosed_quantity"] > attrs["quantity"]:
            errors["disclosed_quantity"] = "Disclosed quantity must not exceed the quantity."
        if errors:
            raise serializers.ValidationError(errors)
        return require_listed(attrs)


class OrderIdInput(serializers.Serializer):
    orderid = serializers.CharField(max_length=32)
    strategy = serializers.CharField(max_length=100, allow_blank=True, required=False)


class SymbolInput(serializers.Serializer):
    symbol = SymbolField()
    exchange = exchange_field(instruments.EXCHANGES)

    def validate(self, attrs):
        return require_listed(attrs, for_order=False)


class PendingOrdersInput(serializers.Serializer):
    status = UpperChoiceField(
        [*(s.upper() for s in PendingStatus.values), "ALL"], label_for_errors="status", default="PENDING"
    )

    def validate_status(self, value: str) -> str:
        return value.lower()


class ApproveInput(serializers.Serializer):
    """Approve takes no fields; the body, if any, must still be a JSON object."""


class RejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")


# --- Response shapes (documentation) -------------------------------------------------------

class OpenAlgoError(serializers.Serializer):
    status = serializers.CharField(default="error")
    message = serializers.CharField()


class OpenAlgoAnswer(serializers.Serializer):
    """An OpenAlgo answer: ``status`` and the fields of that call (documented in its
    summary and the Bruno collection)."""

    status = serializers.CharField()
    message = serializers.CharField(required=False)
    orderid = serializers.CharField(required=False)
    data = serializers.JSONField(required=False)


class PingData(serializers.Serializer):
    message = serializers.CharField(default="pong")
    broker = serializers.CharField(default="sandbox")


class PingOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = PingData()


class PlaceOrderOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    orderid = serializers.CharField(required=False, help_text="auto mode: the sandbox order id")
    message = serializers.CharField(required=False, help_text="semi_auto mode: queued for approval")
    mode = serializers.CharField(required=False, help_text='semi_auto mode: "semi_auto"')
    pending_order_id = serializers.IntegerField(required=False, help_text="semi_auto mode: Action Center id")


class OrderOutput(serializers.Serializer):
    action = serializers.CharField()
    average_price = serializers.FloatField()
    exchange = serializers.CharField()
    order_status = serializers.CharField()
    orderid = serializers.CharField()
    price = serializers.FloatField()
    pricetype = serializers.CharField()
    product = serializers.CharField()
    quantity = serializers.CharField()
    symbol = serializers.CharField()
    timestamp = serializers.CharField(help_text="DD-Mon-YYYY HH:MM:SS, IST")
    trigger_price = serializers.FloatField()


class OrderStatusOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = OrderOutput()


class OrderStatistics(serializers.Serializer):
    total_buy_orders = serializers.FloatField()
    total_sell_orders = serializers.FloatField()
    total_completed_orders = serializers.FloatField()
    total_open_orders = serializers.FloatField()
    total_rejected_orders = serializers.FloatField()


class OrderBookData(serializers.Serializer):
    orders = OrderOutput(many=True)
    statistics = OrderStatistics()


class OrderBookOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = OrderBookData()


class CancelOrderOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    orderid = serializers.CharField()


class TradeOutput(serializers.Serializer):
    action = serializers.CharField()
    average_price = serializers.FloatField()
    exchange = serializers.CharField()
    orderid = serializers.CharField()
    product = serializers.CharField()
    quantity = serializers.FloatField()
    symbol = serializers.CharField()
    timestamp = serializers.CharField(help_text="HH:MM:SS, IST")
    trade_value = serializers.FloatField()


class TradeBookOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = TradeOutput(many=True)


class PositionOutput(serializers.Serializer):
    symbol = serializers.CharField()
    exchange = serializers.CharField()
    product = serializers.CharField()
    quantity = serializers.CharField()
    average_price = serializers.CharField()
    ltp = serializers.CharField()
    pnl = serializers.CharField()


class PositionBookOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = PositionOutput(many=True)


class FundsData(serializers.Serializer):
    availablecash = serializers.CharField()
    collateral = serializers.CharField()
    m2mrealized = serializers.CharField()
    m2munrealized = serializers.CharField()
    utiliseddebits = serializers.CharField()


class FundsOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = FundsData()


class QuoteData(serializers.Serializer):
    open = serializers.FloatField()
    high = serializers.FloatField()
    low = serializers.FloatField()
    ltp = serializers.FloatField()
    ask = serializers.FloatField()
    bid = serializers.FloatField()
    prev_close = serializers.FloatField()
    volume = serializers.IntegerField()
    oi = serializers.IntegerField()


class QuotesOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = QuoteData()


class DepthLevel(serializers.Serializer):
    price = serializers.FloatField()
    quantity = serializers.IntegerField()


class DepthData(serializers.Serializer):
    open = serializers.FloatField()
    high = serializers.FloatField()
    low = serializers.FloatField()
    ltp = serializers.FloatField()
    ltq = serializers.IntegerField()
    prev_close = serializers.FloatField()
    volume = serializers.IntegerField()
    oi = serializers.IntegerField()
    totalbuyqty = serializers.IntegerField()
    totalsellqty = serializers.IntegerField()
    asks = DepthLevel(many=True)
    bids = DepthLevel(many=True)


class DepthOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = DepthData()


class PendingOrderOutput(serializers.Serializer):
    pending_order_id = serializers.IntegerField()
    api_type = serializers.CharField()
    status = serializers.ChoiceField(choices=PendingStatus.values, help_text="expired once past expires_at")
    strategy = serializers.CharField()
    symbol = serializers.CharField()
    exchange = serializers.CharField()
    action = serializers.CharField()
    quantity = serializers.CharField()
    pricetype = serializers.CharField()
    product = serializers.CharField()
    price = serializers.FloatField()
    trigger_price = serializers.FloatField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    orderid = serializers.CharField(allow_null=True)
    order_data = serializers.JSONField(help_text="the queued request's fields, exactly what approval executes")


class PendingStatistics(serializers.Serializer):
    total_pending = serializers.IntegerField()
    total_approved = serializers.IntegerField()
    total_rejected = serializers.IntegerField()
    total_expired = serializers.IntegerField()


class PendingOrdersData(serializers.Serializer):
    orders = PendingOrderOutput(many=True)
    statistics = PendingStatistics()


class PendingOrdersOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = PendingOrdersData()


class DecisionOutput(serializers.Serializer):
    status = serializers.CharField(default="success")
    message = serializers.CharField()
    pending_order_id = serializers.IntegerField()
    orderid = serializers.CharField(required=False, help_text="a queued placeorder: the order it became")
    order_status = serializers.CharField(required=False)
    api_type = serializers.CharField(required=False, help_text="a queued smart, basket or split order: its kind")
    result = serializers.DictField(required=False, help_text="that call's OpenAlgo answer, as in auto mode")
