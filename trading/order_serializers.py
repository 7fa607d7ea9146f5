"""Input validation of OpenAlgo's order and account endpoints beyond placeorder
(placesmartorder, basketorder, splitorder, modifyorder, cancelallorder, closeposition,
openposition, margin, analyzer/toggle), OpenAlgo's fields, defaults and messages.

Built on the placeorder rules in serializers.py, so a symbol, exchange, action, price
or quantity is checked in one place whatever endpoint carries it.
"""
from __future__ import annotations

from rest_framework import serializers

from trading import instruments
from trading import serializers as s
from trading.models import Action, PriceType, Product

GTT_PRICETYPES = ("LIMIT", "MARKET")
GTT_PRODUCTS = ("NRML", "CNC")
MAX_BASKET_ORDERS = 100
MAX_SPLIT_ORDERS = 100
MAX_MARGIN_POSITIONS = 50
_OPTIONAL_STRATEGY = {"max_length": 100, "allow_blank": True, "required": False, "default": ""}


def _signed_quantity(label: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=-s.MAX_QUANTITY, max_value=s.MAX_QUANTITY,
        error_messages={"invalid": f"{label} must be a whole number."},
    )


class SmartOrderInput(s.PlaceOrderInput):
    """placeorder's fields plus ``position_size``, the net position wanted after the order."""

    quantity = serializers.IntegerField(
        min_value=0, max_value=s.MAX_QUANTITY,
        error_messages={
            "min_value": "Quantity must be a non-negative number.",
            "invalid": "Quantity must be a non-negative whole number.",
        },
    )
    position_size = _signed_quantity("Position size")

    def validate(self, attrs):
        # disclosed_quantity may not exceed quantity; with quantity 0 (exit only) it is 0.
        attrs = {**attrs, "disclosed_quantity": min(attrs["disclosed_quantity"], attrs["quantity"])}
        return super().validate(attrs)


class BasketItemInput(s.PlaceOrderInput):
    """One order of a basket: placeorder's fields, the strategy coming from the basket."""

    strategy = serializers.CharField(**_OPTIONAL_STRATEGY)


class BasketOrderInput(serializers.Serializer):
    strategy = serializers.CharField(max_length=100, allow_blank=True)
    orders = serializers.ListField(
        child=BasketItemInput(), allow_empty=False, max_length=MAX_BASKET_ORDERS,
        error_messages={"empty": "Orders must contain at least one order.",
                        "max_length": f"A basket holds at most {MAX_BASKET_ORDERS} orders."},
    )


class SplitOrderInput(s.PlaceOrderInput):
    splitsize = serializers.IntegerField(
        min_value=1, max_value=s.MAX_QUANTITY,
        error_messages={"min_value": "Split size must be a positive integer.",
                        "invalid": "Split size must be a positive integer."},
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        orders = -(-attrs["quantity"] // attrs["splitsize"])
        if orders > MAX_SPLIT_ORDERS:
            raise serializers.ValidationError(
                {"splitsize": f"Total number of orders would exceed maximum limit of {MAX_SPLIT_ORDERS}"}
            )
        return attrs


class ModifyOrderInput(s.PlaceOrderInput):
    """OpenAlgo requires every field on modify (the SDK sends them all)."""

    orderid = serializers.CharField(max_length=32)
    pricetype = s.UpperChoiceField(PriceType.values, label_for_errors="pricetype")
    product = s.UpperChoiceField(Product.values, label_for_errors="product")
    price = s._price_field("Price")
    trigger_price = s._price_field("Trigger price")
    disclosed_quantity = serializers.IntegerField(
        min_value=0, max_value=s.MAX_QUANTITY,
        error_messages={"min_value": "Disclosed quantity must be a non-negative integer."},
    )


class StrategyOnlyInput(serializers.Serializer):
    """cancelallorder, closeposition: the strategy label only."""

    strategy = serializers.CharField(**_OPTIONAL_STRATEGY)


class ClosePositionInput(serializers.Serializer):
    """closeposition: every position, or one when symbol, exchange and product are given."""

    strategy = serializers.CharField(**_OPTIONAL_STRATEGY)
    symbol = s.SymbolField(required=False)
    exchange = s.UpperChoiceField(instruments.ORDER_EXCHANGES, label_for_errors="exchange", required=False)
    product = s.UpperChoiceField(Product.values, label_for_errors="product", required=False)

    def validate(self, attrs):
        given = [name for name in ("symbol", "exchange", "product") if name in attrs]
        if given and len(given) != 3:
            missing = [name for name in ("symbol", "exchange", "product") if name not in attrs]
            raise serializers.ValidationError(
                {name: "Required to close one position (symbol, exchange and product)." for name in missing})
        return attrs


class OpenPositionInput(serializers.Serializer):
    strategy = serializers.CharField(**_OPTIONAL_STRATEGY)
    symbol = s.SymbolField()
    exchange = s.exchange_field(instruments.ORDER_EXCHANGES)
    product = s.UpperChoiceField(Product.values, label_for_errors="product")


class MarginPositionInput(serializers.Serializer):
    symbol = s.SymbolField()
    exchange = s.exchange_field(instruments.ORDER_EXCHANGES)
    action = s.UpperChoiceField(Action.values, label_for_errors="action")
    quantity = serializers.IntegerField(
        min_value=1, max_value=s.MAX_QUANTITY,
        error_messages={"min_value": "Quantity must be a positive number.",
                        "invalid": "Quantity must be a positive whole number."},
    )
    product = s.UpperChoiceField(Product.values, label_for_errors="product")
    pricetype = s.UpperChoiceField(PriceType.values, label_for_errors="pricetype")
    price = s._price_field("Price", default=0)
    trigger_price = s._price_field("Trigger price", default=0)

    def validate(self, attrs):
        return s.require_listed(attrs)


class MarginInput(serializers.Serializer):
    positions = serializers.ListField(
        child=MarginPositionInput(), allow_empty=False, max_length=MAX_MARGIN_POSITIONS,
        error_messages={"empty": "Positions must contain 1 to 50 items.",
                        "max_length": "Positions must contain 1 to 50 items."},
    )


class AnalyzerToggleInput(serializers.Serializer):
    mode = serializers.BooleanField()


class _OptionalPrice(serializers.DecimalField):
    """A price that may be null or "" (None) — GTT legs unused by a SINGLE trigger."""

    def to_internal_value(self, data):
        if data in ("", None):
            return None
        return super().to_internal_value(data)


def _optional_price(label: str) -> _OptionalPrice:
    return _OptionalPrice(
        max_digits=16, decimal_places=4, min_value=0, max_value=s.MAX_PRICE, required=False, allow_null=True,
        default=None,
        error_messages={"min_value": f"{label} must be non-negative.", "invalid": f"{label} must be a number."},
    )


class PlaceGttInput(serializers.Serializer):
    strategy = serializers.CharField(max_length=100, allow_blank=True)
    trigger_type = s.UpperChoiceField(["SINGLE", "OCO"], label_for_errors="trigger_type",
                                      error_messages={"invalid_choice": "Must be 'SINGLE' or 'OCO'."})
    symbol = s.SymbolField()
    exchange = s.exchange_field(instruments.ORDER_EXCHANGES)
    action = s.UpperChoiceField(Action.values, label_for_errors="action")
    product = s.UpperChoiceField(
        list(GTT_PRODUCTS), label_for_errors="product",
        error_messages={"invalid_choice": "GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is "
                                          "intraday-only."},
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=s.MAX_QUANTITY,
        error_messages={"min_value": "Quantity must be a positive number.",
                        "invalid": "Quantity must be a positive whole number."},
    )
    pricetype = s.UpperChoiceField(list(GTT_PRICETYPES), label_for_errors="pricetype", default="LIMIT")
    price = s._price_field("Price")
    triggerprice_sl = _optional_price("triggerprice_sl")
    triggerprice_tg = _optional_price("triggerprice_tg")
    stoploss = _optional_price("stoploss")
    target = _optional_price("target")

    def validate(self, attrs):
        sl, tg = attrs.get("triggerprice_sl") or 0, attrs.get("triggerprice_tg") or 0
        if attrs["trigger_type"] == "OCO":
            for name, label in (("triggerprice_sl", "stoploss trigger"), ("stoploss", "stoploss leg limit"),
                                ("triggerprice_tg", "target trigger"), ("target", "target leg limit")):
                if not attrs.get(name):
                    raise serializers.ValidationError({name: f"Required for OCO ({label})."})
            if sl >= tg:
                raise serializers.ValidationError(
                    {"triggerprice_sl": "Stoploss trigger must be less than target trigger (triggerprice_tg)."})
            return s.require_listed(attrs)
        if sl <= 0 and tg <= 0:
            raise serializers.ValidationError(
                {"triggerprice_sl": "SINGLE GTT requires a positive triggerprice_sl or triggerprice_tg."})
        if attrs["pricetype"] == "LIMIT" and attrs["price"] <= 0:
            raise serializers.ValidationError({"price": "Price is required for a LIMIT GTT."})
        attrs["triggerprice_sl"], attrs["triggerprice_tg"] = (sl, None) if sl > 0 else (None, tg)
        attrs["stoploss"] = attrs["target"] = None
        return s.require_listed(attrs)


class ModifyGttInput(PlaceGttInput):
    trigger_id = serializers.CharField(max_length=32)


class CancelGttInput(serializers.Serializer):
    strategy = serializers.CharField(**_OPTIONAL_STRATEGY)
    trigger_id = serializers.CharField(max_length=32)


class GttOrderBookInput(serializers.Serializer):
    status = s.UpperChoiceField(["ACTIVE", "ALL"], label_for_errors="status", default="ACTIVE")
