"""The sandbox paper broker: orders against the simulated market, fills, books, funds.

- MARKET orders fill at once at the touch (BUY at the ask, SELL at the bid).
- LIMIT orders fill at once when marketable (at the touch), otherwise rest ``open``
  until the market crosses their price, then fill at their price.
- SL / SL-M orders wait (``trigger pending``) until the last price crosses the
  trigger, then act as LIMIT / MARKET orders.
- Resting orders are checked whenever their owner next touches the books (status,
  order book, trade book, positions, funds, a new order, a cancel): no background job
  and no sweep over other users' orders on any request.
- Funds: starting cash (SANDBOX_STARTING_CASH when the account opens) plus realised
  P&L, minus the value held in open positions (full-value margin, long or short). A
  fill that would grow exposure beyond that is rejected; reducing a position never is.

Fills for one user are serialised on that user's Account row (SELECT … FOR UPDATE).
Routing by order mode is not here: see trading/orders.py.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from trading import events, market, shapes
from trading.conf import app_settings
from trading.errors import NotFound, TradingError
from trading.models import Account, Action, Order, OrderStatus, PendingOrder, Position, PriceType, Trade

logger = logging.getLogger(__name__)

OPEN_STATUSES = (OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING)
_FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class OrderRequest:
    """A validated order, as it is executed or parked in the Action Center."""

    strategy: str
    symbol: str
    exchange: str
    action: str
    quantity: int
    pricetype: str = PriceType.MARKET
    product: str = "MIS"
    price: Decimal = Decimal(0)
    trigger_price: Decimal = Decimal(0)
    disclosed_quantity: int = 0

    @classmethod
    def from_data(cls, data) -> OrderRequest:
        fields = cls.__dataclass_fields__
        values = {name: data[name] for name in fields if name in data}
        for name in ("price", "trigger_price"):
            if name in values:
                values[name] = Decimal(str(values[name]))
        for name in ("quantity", "disclosed_quantity"):
            if name in values:
                values[name] = int(values[name])
        return cls(**values)

    def to_json(self) -> dict:
        data = asdict(self)
        data["price"], data["trigger_price"] = str(self.price), str(self.trigger_price)
        return data


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(_FOUR_PLACES)


def starting_cash() -> Decimal:
    return _money(app_settings.SANDBOX_STARTING_CASH)


def _locked_account(user: AbstractBaseUser) -> Account:
    account, _ = Account.objects.select_for_update().get_or_create(
        user=user, defaults={"starting_cash": starting_cash()}
    )
    return account


def _new_orderid() -> str:
    """OpenAlgo-like numeric id: IST date + 9 random digits."""
    return f"{timezone.now().astimezone(shapes.IST):%y%m%d}{secrets.randbelow(10**9):09d}"


def _insert(order: Order) -> None:
    for _ in range(5):
        order.orderid = _new_orderid()
        try:
            with transaction.atomic():
                order.save()
            return
        except IntegrityError:
            if Order.objects.filter(orderid=order.orderid).exists():
                continue
            raise
    raise RuntimeError("could not allocate a unique order id")


# --- Execution -------------------------------------------------------------------------

def order_execute(
    *, user: AbstractBaseUser, request: OrderRequest, pending_order: PendingOrder | None = None, at: float | None = None
) -> Order:
    """Place ``request`` for ``user`` now (no mode check: callers route first)."""
    with transaction.atomic():
        account = _locked_account(user)
        order = Order(
            user=user, pending_order=pending_order, strategy=request.strategy, symbol=request.symbol,
            exchange=request.exchange, action=request.action, pricetype=request.pricetype, product=request.product,
            quantity=request.quantity, price=request.price, trigger_price=request.trigger_price,
            disclosed_quantity=request.disclosed_quantity, status=_initial_status(request.pricetype),
        )
        _insert(order)
        events.publish_order_event(user.pk, shapes.order_update(order, event="placed"))
        _advance(order, account, market.snapshot(order.symbol, order.exchange, at), fresh=True)
    logger.info("sandbox order %s %s for user %s", order.orderid, order.status, user.pk)
    return order


def _initial_status(pricetype: str) -> str:
    return OrderStatus.TRIGGER_PENDING if pricetype in (PriceType.SL, PriceType.SL_M) else OrderStatus.OPEN


def _triggered(order: Order, last: float) -> bool:
    trigger = float(order.trigger_price)
    return last >= trigger if order.action == Action.BUY else last <= trigger


def _advance(order: Order, account: Account, snap: market.Snapshot, *, fresh: bool) -> None:
    """Move one open order as far as the market at ``snap`` allows."""
    if order.status == OrderStatus.TRIGGER_PENDING:
        if not _triggered(order, snap.ltp):
            return
        order.status = OrderStatus.OPEN
        order.save(update_fields=["status", "updated_at"])
        events.publish_order_event(order.user_id, shapes.order_update(order, event="triggered"))
    if order.status != OrderStatus.OPEN:
        return
    buying = order.action == Action.BUY
    touch = snap.ask if buying else snap.bid
    if order.pricetype in (PriceType.MARKET, PriceType.SL_M):
        price = touch
    else:
        limit = float(order.price)
        if (buying and touch > limit) or (not buying and touch < limit):
            return  # not marketable yet: rests
        price = touch if fresh else limit
    _fill(order, account, _money(price))


def _apply(quantity: int, average: Decimal, signed: int, price: Decimal) -> tuple[int, Decimal, Decimal]:
    """(new quantity, new average price, realised P&L) after a fill of ``signed`` units."""
    new_quantity = quantity + signed
    if quantity == 0 or (quantity > 0) == (signed > 0):
        new_average = (abs(quantity) * average + abs(signed) * price) / abs(new_quantity)
        return new_quantity, new_average.quantize(_FOUR_PLACES), Decimal(0)
    closing = min(abs(quantity), abs(signed))
    realized = closing * (price - average) * (1 if quantity > 0 else -1)
    if new_quantity == 0:
        new_average = Decimal(0)
    elif (new_quantity > 0) == (quantity > 0):
        new_average = average
    else:
        new_average = price  # flipped: the remainder opened at this price
    return new_quantity, new_average, realized


def _available(account: Account, positions) -> Decimal:
    realized = sum((p.realized_pnl for p in positions), Decimal(0))
    utilised = sum((abs(p.quantity) * p.average_price for p in positions), Decimal(0))
    return account.starting_cash + realized - utilised


def _fill(order: Order, account: Account, price: Decimal) -> None:
    position, _ = Position.objects.select_for_update().get_or_create(
        user_id=order.user_id, symbol=order.symbol, exchange=order.exchange, product=order.product
    )
    signed = order.quantity if order.action == Action.BUY else -order.quantity
    new_quantity, new_average, realized = _apply(position.quantity, position.average_price, signed, price)
    if abs(new_quantity) > abs(position.quantity):
        others = list(Position.objects.filter(user_id=order.user_id).exclude(pk=position.pk))
        before = _available(account, [*others, position])
        after_position = Position(
            quantity=new_quantity, average_price=new_average, realized_pnl=position.realized_pnl + realized
        )
        if _available(account, [*others, after_position]) < 0:
            needed = (abs(new_quantity) - abs(position.quantity)) * price
            _reject(order, f"Insufficient funds: this order needs {needed:.2f}, available {before:.2f}")
            return
    position.quantity, position.average_price = new_quantity, new_average
    position.realized_pnl += realized
    position.save()
    Trade.objects.create(
        order=order, user_id=order.user_id, symbol=order.symbol, exchange=order.exchange, action=order.action,
        product=order.product, quantity=order.quantity, price=price,
    )
    order.status, order.filled_quantity, order.average_price = OrderStatus.COMPLETE, order.quantity, price
    order.save(update_fields=["status", "filled_quantity", "average_price", "updated_at"])
    events.publish_order_event(order.user_id, shapes.order_update(order, event="filled"))


def _reject(order: Order, reason: str) -> None:
    order.status, order.rejection_reason = OrderStatus.REJECTED, reason[:255]
    order.save(update_fields=["status", "rejection_reason", "updated_at"])
    events.publish_order_event(order.user_id, shapes.order_update(order, event="rejected"))


def open_orders_match(*, user: AbstractBaseUser, at: float | None = None) -> None:
    """Fill or trigger whatever of ``user``'s resting orders the market now reaches."""
    if not Order.objects.filter(user=user, status__in=OPEN_STATUSES).exists():
        return
    with transaction.atomic():
        account = _locked_account(user)
        resting = Order.objects.select_for_update().filter(user=user, status__in=OPEN_STATUSES)
        for order in resting.order_by("created_at", "id"):
            _advance(order, account, market.snapshot(order.symbol, order.exchange, at), fresh=False)


def order_cancel(*, user: AbstractBaseUser, orderid: str) -> Order:
    """Cancel an open order. Cancelling a cancelled order succeeds again (OpenAlgo)."""
    open_orders_match(user=user)  # one the market already reached fills rather than cancels
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(user=user, orderid=orderid).first()
        if order is None:
            raise NotFound("Order not found")
        if order.status == OrderStatus.CANCELLED:
            return order
        if order.status not in OPEN_STATUSES:
            raise TradingError(f"Order {orderid} is {order.status} and cannot be cancelled")
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status", "updated_at"])
        events.publish_order_event(user.pk, shapes.order_update(order, event="cancelled"))
    return order


# --- Books -----------------------------------------------------------------------------

def order_get(*, user: AbstractBaseUser, orderid: str) -> Order:
    open_orders_match(user=user)
    order = Order.objects.filter(user=user, orderid=orderid).first()
    if order is None:
        raise NotFound("Order not found")
    return order


def orders_list(*, user: AbstractBaseUser) -> list[Order]:
    open_orders_match(user=user)
    return list(Order.objects.filter(user=user))


def trades_list(*, user: AbstractBaseUser) -> list[Trade]:
    open_orders_match(user=user)
    return list(Trade.objects.filter(user=user).select_related("order"))


@dataclass(frozen=True)
class PositionView:
    position: Position
    ltp: float
    pnl: Decimal  # realised + unrealised


def positions_list(*, user: AbstractBaseUser, at: float | None = None) -> list[PositionView]:
    open_orders_match(user=user, at=at)
    views = []
    for p in Position.objects.filter(user=user):
        last = market.ltp(p.symbol, p.exchange, at)
        unrealized = (_money(last) - p.average_price) * p.quantity
        views.append(PositionView(p, last, p.realized_pnl + unrealized))
    return views


@dataclass(frozen=True)
class Funds:
    available: Decimal
    realized: Decimal
    unrealized: Decimal
    utilised: Decimal


def funds_get(*, user: AbstractBaseUser, at: float | None = None) -> Funds:
    views = positions_list(user=user, at=at)
    start = Account.objects.filter(user=user).values_list("starting_cash", flat=True).first()
    start = starting_cash() if start is None else start
    realized = sum((v.position.realized_pnl for v in views), Decimal(0))
    utilised = sum((abs(v.position.quantity) * v.position.average_price for v in views), Decimal(0))
    unrealized = sum((v.pnl - v.position.realized_pnl for v in views), Decimal(0))
    return Funds(available=start + realized - utilised, realized=realized, unrealized=unrealized, utilised=utilised)
