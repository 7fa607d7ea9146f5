"""Webhook strategies: TradingView-style alerts (OpenAlgo's /strategy/webhook/<id>) and
ChartInk scans (/chartink/webhook/<id>) become orders under the strategy's key.

TradingView: an alert ``{symbol, action, position_size?}`` becomes a placeorder or
placesmartorder.

OpenAlgo's rules by trading mode: LONG — BUY enters (the mapping's quantity, or
|position_size|), SELL exits (smart order to 0); SHORT — SELL enters, BUY exits; BOTH —
every alert is a smart order to ``position_size`` (BUY needs it >= 0, SELL <= 0;
quantity 0 when it is 0). The order then goes through ``orders.order_route``: executed
only if the strategy's key is in auto mode, queued otherwise (fail closed).

ChartInk (OpenAlgo's blueprints/chartink.py): ``{stocks: "SBIN,INFY", trigger_prices,
scan_name, ...}``; the first keyword of BUY, SELL, SHORT, COVER found in the scan name
decides for every listed stock with a mapping (others are skipped): BUY enters long
(placeorder, the mapping's quantity), SELL exits it (smart order to 0), SHORT enters
short, COVER exits it. The strategy's trading mode is TradingView's and plays no part.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser

from trading import instruments, order_kinds, orders
from trading.errors import NotFound, TradingError
from trading.models import Strategy, StrategySymbol, TradingMode
from trading.order_serializers import SmartOrderInput
from trading.serializers import PlaceOrderInput


def new_webhook_id() -> str:
    return secrets.token_hex(32)


def strategy_create(*, user: AbstractBaseUser, name: str, symbols: list[dict] | None = None, **fields) -> Strategy:
    """A strategy with a fresh webhook id and its symbol mappings (``symbol``, ``exchange``,
    ``quantity``, ``product``)."""
    strategy = Strategy.objects.create(user=user, name=name, webhook_id=new_webhook_id(), **fields)
    StrategySymbol.objects.bulk_create(StrategySymbol(strategy=strategy, **mapping) for mapping in symbols or [])
    return strategy


# The input rules of the API call each webhook order becomes: a webhook order is checked as
# strictly as the same order sent to /api/v1/ (quantity bounds, a listed symbol...).
_ORDER_INPUTS = {"placeorder": PlaceOrderInput, "placesmartorder": SmartOrderInput}


def _order(strategy: Strategy, mapping: StrategySymbol, api_type: str, action: str, **fields) -> tuple[str, dict]:
    """A MARKET order of ``api_type`` for ``mapping``, validated by that endpoint's rules."""
    checked = _ORDER_INPUTS[api_type](data={
        "strategy": strategy.name, "symbol": mapping.symbol, "exchange": mapping.exchange,
        "product": mapping.product, "action": action, "pricetype": "MARKET", **fields,
    })
    checked.is_valid(raise_exception=True)
    return api_type, order_kinds.jsonable(checked.validated_data)


def _plan(strategy: Strategy, action: str, position_size: int, mapping: StrategySymbol) -> tuple[str, dict]:
    if strategy.trading_mode == TradingMode.BOTH:
        if action == "BUY" and position_size < 0:
            raise TradingError("For BUY orders in BOTH mode, position_size must be >= 0")
        if action == "SELL" and position_size > 0:
            raise TradingError("For SELL orders in BOTH mode, position_size must be <= 0")
        quantity = 0 if position_size == 0 else mapping.quantity
        return _order(strategy, mapping, "placesmartorder", action, quantity=quantity, position_size=position_size)
    exit_action = "SELL" if strategy.trading_mode == TradingMode.LONG else "BUY"
    if action == exit_action:
        return _order(strategy, mapping, "placesmartorder", action, quantity=0, position_size=0)
    quantity = abs(position_size) if position_size else mapping.quantity
    return _order(strategy, mapping, "placeorder", action, quantity=quantity)


def _strategy(webhook_id: str) -> Strategy:
    strategy = Strategy.objects.select_related("user").filter(webhook_id=webhook_id).first()
    if strategy is None or not strategy.user.is_active:
        raise NotFound("Invalid webhook ID")
    return strategy


def signal_handle(*, webhook_id: str, data: dict) -> orders.Routed:
    strategy = _strategy(webhook_id)
    if not strategy.is_active:
        raise TradingError("Strategy is inactive")
    required = ["symbol", "action"] + (["position_size"] if strategy.trading_mode == TradingMode.BOTH else [])
    missing = [name for name in required if data.get(name) in (None, "")]
    if missing:
        raise TradingError(f"Missing required fields: {', '.join(missing)}")
    action = str(data["action"]).strip().upper()
    if action not in ("BUY", "SELL"):
        raise TradingError("Invalid action. Use BUY or SELL")
    try:
        position_size = int(str(data.get("position_size") or 0).strip())
    except ValueError:
        raise TradingError("position_size must be a whole number") from None
    symbol = instruments.normalize_symbol(str(data["symbol"]))
    mapping = strategy.symbols.filter(symbol=symbol).first()
    if mapping is None:
        raise TradingError(f"No mapping found for symbol {symbol}")
    api_type, order = _plan(strategy, action, position_size, mapping)
    return orders.order_route(user=strategy.user, key_id=strategy.platform_key_id, api_type=api_type, data=order)


# --- ChartInk --------------------------------------------------------------------------

# (keyword, action, entry?) in the order OpenAlgo looks for them.
CHARTINK_KEYWORDS = (("BUY", "BUY", True), ("SELL", "SELL", False), ("SHORT", "SELL", True),
                     ("COVER", "BUY", False))
NO_KEYWORD = "No valid action keyword (BUY/SELL/SHORT/COVER) found in scan name"


@dataclass(frozen=True)
class ScanResult:
    """What a ChartInk scan did: one routed order per mapped stock, and the stocks skipped."""

    inactive: bool = False
    routed: list[tuple[str, orders.Routed]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def chartink_handle(*, webhook_id: str, data: dict) -> ScanResult:
    strategy = _strategy(webhook_id)
    if not strategy.is_active:
        return ScanResult(inactive=True)  # OpenAlgo answers success and places nothing
    scan_name, stocks = data.get("scan_name", ""), data.get("stocks", "")
    if not isinstance(scan_name, str) or not isinstance(stocks, str):
        raise TradingError("scan_name and stocks must be strings (stocks comma-separated)")
    found = next((rule for rule in CHARTINK_KEYWORDS if rule[0] in scan_name.upper()), None)
    if found is None:
        raise TradingError(NO_KEYWORD)
    _, action, entry = found
    symbols = [instruments.normalize_symbol(part) for part in stocks.split(",") if part.strip()]
    if not symbols:
        raise TradingError("No symbols received")
    mappings = {m.symbol: m for m in strategy.symbols.all()}
    if not mappings:
        raise TradingError("No symbol mappings configured")
    result = ScanResult()
    planned = []  # every order checked before any is placed: a bad mapping places nothing
    for symbol in dict.fromkeys(symbols):  # each stock once, in the scan's order
        mapping = mappings.get(symbol)
        if mapping is None:
            result.skipped.append(symbol)
        elif entry:
            planned.append((symbol, _order(strategy, mapping, "placeorder", action, quantity=mapping.quantity)))
        else:
            planned.append((symbol, _order(strategy, mapping, "placesmartorder", action, quantity=0, position_size=0)))
    for symbol, (api_type, order) in planned:
        result.routed.append((symbol, orders.order_route(
            user=strategy.user, key_id=strategy.platform_key_id, api_type=api_type, data=order)))
    return result
