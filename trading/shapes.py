"""OpenAlgo's JSON shapes for the sandbox's books, in one place so the REST views and
the WebSocket order stream say the same thing. Field types follow OpenAlgo's docs
(quantity a string in the order book, a number in the trade book, …); times are IST.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from trading.models import Order, PendingOrder, Position, Trade

IST = ZoneInfo("Asia/Kolkata")


def num(value: Decimal | float | int | None) -> float:
    return float(value or 0)


def _str2(value: Decimal | float) -> str:
    return f"{Decimal(value):.2f}"


def ist_text(moment: datetime, fmt: str) -> str:
    return moment.astimezone(IST).strftime(fmt)


def order(o: Order) -> dict:
    return {
        "action": o.action,
        "average_price": num(o.average_price),
        "exchange": o.exchange,
        "order_status": o.status,
        "orderid": o.orderid,
        "price": num(o.price),
        "pricetype": o.pricetype,
        "product": o.product,
        "quantity": str(o.quantity),
        "symbol": o.symbol,
        "timestamp": ist_text(o.created_at, "%d-%b-%Y %H:%M:%S"),
        "trigger_price": num(o.trigger_price),
    }


def order_statistics(orders: list[Order]) -> dict:
    count = lambda predicate: float(sum(1 for o in orders if predicate(o)))  # noqa: E731
    return {
        "total_buy_orders": count(lambda o: o.action == "BUY"),
        "total_sell_orders": count(lambda o: o.action == "SELL"),
        "total_completed_orders": count(lambda o: o.status == "complete"),
        "total_open_orders": count(lambda o: o.status in ("open", "trigger pending")),
        "total_rejected_orders": count(lambda o: o.status == "rejected"),
    }


def trade(t: Trade, orderid: str) -> dict:
    return {
        "action": t.action,
        "average_price": num(t.price),
        "exchange": t.exchange,
        "orderid": orderid,
        "product": t.product,
        "quantity": float(t.quantity),
        "symbol": t.symbol,
        "timestamp": ist_text(t.executed_at, "%H:%M:%S"),
        "trade_value": num(t.price * t.quantity),
    }


def position(p: Position, ltp: float, pnl: Decimal) -> dict:
    return {
        "symbol": p.symbol,
        "exchange": p.exchange,
        "product": p.product,
        "quantity": str(p.quantity),
        "average_price": _str2(p.average_price),
        "ltp": str(ltp),
        "pnl": _str2(pnl),
    }


def funds(*, available: Decimal, realized: Decimal, unrealized: Decimal, utilised: Decimal) -> dict:
    return {
        "availablecash": _str2(available),
        "collateral": "0.00",
        "m2mrealized": _str2(realized),
        "m2munrealized": _str2(unrealized),
        "utiliseddebits": _str2(utilised),
    }


def _joined(items: list[dict], field: str) -> str:
    return ", ".join(dict.fromkeys(str(item.get(field, "")) for item in items))


def pending_order(p: PendingOrder) -> dict:
    data = p.order_data or {}
    resulting = getattr(p, "order", None)
    # A basket carries its orders; every other kind one instrument (a smart order also
    # its position_size, a split its splitsize, a GTT its triggers: all in order_data).
    legs = data.get("orders") or [data]
    return {
        "pending_order_id": p.pk,
        "api_type": p.api_type,
        "status": p.effective_status,
        "strategy": data.get("strategy", ""),
        "symbol": _joined(legs, "symbol"),
        "exchange": _joined(legs, "exchange"),
        "action": _joined(legs, "action"),
        "quantity": str(sum(int(leg.get("quantity") or 0) for leg in legs)),
        "pricetype": _joined(legs, "pricetype"),
        "product": _joined(legs, "product"),
        "order_data": data,
        "price": float(data.get("price") or 0),
        "trigger_price": float(data.get("trigger_price") or 0),
        "created_at": p.created_at.isoformat().replace("+00:00", "Z"),
        "expires_at": p.expires_at.isoformat().replace("+00:00", "Z"),
        "decided_at": p.decided_at.isoformat().replace("+00:00", "Z") if p.decided_at else None,
        "rejection_reason": p.rejection_reason,
        "orderid": resulting.orderid if resulting else None,
    }


def order_update(o: Order, *, event: str) -> dict:
    """The ``subscribe_orders`` message (OpenAlgo's order_update) for one transition."""
    return {
        "type": "order_update",
        "event": event,
        "user_id": o.user_id,
        "mode": "analyze",
        "broker": "sandbox",
        "orderid": o.orderid,
        "symbol": o.symbol,
        "exchange": o.exchange,
        "action": o.action,
        "quantity": o.quantity,
        "price": num(o.price),
        "trigger_price": num(o.trigger_price),
        "pricetype": o.pricetype,
        "product": o.product,
        "order_status": o.status,
        "filled_quantity": o.filled_quantity,
        "pending_quantity": o.quantity - o.filled_quantity if o.status in ("open", "trigger pending") else 0,
        "average_price": num(o.average_price),
        "rejection_reason": o.rejection_reason,
    }


def pending_order_update(p: PendingOrder, *, event: str) -> dict:
    return {"type": "pending_order_update", "event": event, "user_id": p.user_id, **pending_order(p)}
