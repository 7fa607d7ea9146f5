"""Margin by leverage, OpenAlgo's sandbox rules: margin = quantity × price / leverage.

Equity (NSE, BSE): MIS at SANDBOX_EQUITY_MIS_LEVERAGE (5×), CNC and NRML at
SANDBOX_EQUITY_CNC_LEVERAGE (1×). Futures: SANDBOX_FUTURES_LEVERAGE (10×). Options:
SANDBOX_OPTION_BUY_LEVERAGE (1×: a buyer pays the full premium) and
SANDBOX_OPTION_SELL_LEVERAGE. Anything else: 1×. Used by the broker (margin blocked per
order and held by positions) and by the ``margin`` endpoint.
"""
from __future__ import annotations

from decimal import Decimal

from trading import market
from trading.conf import app_settings
from trading.models import Action, PriceType, Product

FOUR_PLACES = Decimal("0.0001")  # money to the paisa's hundredth, as OpenAlgo stores it


def leverage(*, symbol: str, exchange: str, product: str, action: str) -> Decimal:
    if exchange in ("NSE", "BSE"):
        setting = "SANDBOX_EQUITY_MIS_LEVERAGE" if product == Product.MIS else "SANDBOX_EQUITY_CNC_LEVERAGE"
        return Decimal(str(getattr(app_settings, setting)))
    kind = market.instrument(symbol, exchange).kind
    if kind == "future":
        return Decimal(str(app_settings.SANDBOX_FUTURES_LEVERAGE))
    if kind == "option":
        setting = "SANDBOX_OPTION_BUY_LEVERAGE" if action == Action.BUY else "SANDBOX_OPTION_SELL_LEVERAGE"
        return Decimal(str(getattr(app_settings, setting)))
    return Decimal(1)


def margin_required(*, symbol: str, exchange: str, product: str, action: str, quantity: int, price) -> Decimal:
    value = abs(int(quantity)) * Decimal(str(price))
    lev = leverage(symbol=symbol, exchange=exchange, product=product, action=action)
    return (value / lev).quantize(FOUR_PLACES)


def reference_price(*, symbol: str, exchange: str, action: str, pricetype: str, price, trigger_price,
                    at: float | None = None) -> Decimal:
    """The price margin is computed at: the limit price, the trigger of a stop, or the
    touch a MARKET order would fill at (ask for a BUY, bid for a SELL)."""
    if pricetype == PriceType.LIMIT and Decimal(str(price)) > 0:
        return Decimal(str(price))
    if pricetype in (PriceType.SL, PriceType.SL_M) and Decimal(str(trigger_price)) > 0:
        return Decimal(str(trigger_price))
    snap = market.snapshot(symbol, exchange, at)
    return Decimal(str(snap.ask if action == Action.BUY else snap.bid))
