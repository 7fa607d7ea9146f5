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
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from trading import events, margins, market, shapes
from trading.conf import app_settings
from trading.errors import NotFound, TradingError
from trading.models import (
    Account,
    Action,
    GttOrder,
    GttStatus,
    Holding,
    Order,
    OrderStatus,
    PendingOrder,
    Position,
    PriceType,
    Product,
    Trade,
)

logger = logging.getLogger(__name__)

OPEN_STATUSES = (OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING)


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
    return Decimal(str(value)).quantize(margins.FOUR_PLACES)


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
        settle(user)
        order = _execute_locked(user, account, request, pending_order=pending_order, at=at)
    logger.info("sandbox order %s %s for user %s", order.orderid, order.status, user.pk)
    return order


def _execute_locked(
    user: AbstractBaseUser, account: Account, request: OrderRequest, *, pending_order: PendingOrder | None = None,
    at: float | None = None,
) -> Order:
    order = Order(
        user=user, pending_order=pending_order, strategy=request.strategy, symbol=request.symbol,
        exchange=request.exchange, action=request.action, pricetype=request.pricetype, product=request.product,
        quantity=request.quantity, price=request.price, trigger_price=request.trigger_price,
        disclosed_quantity=request.disclosed_quantity, status=_initial_status(request.pricetype),
    )
    refusal = _cnc_sell_refusal(user, order)
    books = None
    if refusal is None:
        needed = _margin_to_block(user, order, at)
        books = _Books(list(Position.objects.filter(user=user)), _blocked(user), _holdings_cost(user))
        available = _available(account, books.positions, blocked=books.blocked, holdings_cost=books.holdings_cost)
        refusal = _shortage(needed, available)
        order.margin_blocked = needed
    if refusal is not None:
        order.status, order.rejection_reason, order.margin_blocked = OrderStatus.REJECTED, refusal[:255], Decimal(0)
        _insert(order)
        events.publish_order_event(user.pk, shapes.order_update(order, event="rejected"))
        return order
    _insert(order)
    events.publish_order_event(user.pk, shapes.order_update(order, event="placed"))
    _advance(order, account, market.snapshot(order.symbol, order.exchange, at), fresh=True, books=books)
    return order


@dataclass(frozen=True)
class _Books:
    """What a new order's funds check read, in its transaction with the account locked: its
    fill, a moment later in the same transaction, checks against the same figures rather
    than reading them again (only the order itself was written in between, and it is not
    counted: its margin is what the fill is checked for)."""

    positions: list[Position]
    blocked: Decimal
    holdings_cost: Decimal


def _cnc_sell_refusal(user: AbstractBaseUser, order: Order) -> str | None:
    """A CNC (delivery) SELL needs the shares: today's CNC position or settled holdings."""
    if order.product != Product.CNC or order.action != Action.SELL:
        return None
    position = Position.objects.filter(user=user, symbol=order.symbol, exchange=order.exchange,
                                       product=Product.CNC).values_list("quantity", flat=True).first() or 0
    held = Holding.objects.filter(user=user, symbol=order.symbol, exchange=order.exchange).values_list(
        "quantity", flat=True).first() or 0
    owned = max(position, 0) + held
    if owned == 0:
        return (f"Cannot sell {order.symbol} in CNC. No positions or holdings available. CNC (delivery) requires "
                "existing shares. Use MIS for intraday short selling.")
    if order.quantity > owned:
        return (f"Cannot sell {order.quantity} shares of {order.symbol} in CNC. Only {owned} shares available "
                f"(Position: {max(position, 0)}, Holdings: {held})")
    return None


def _exposure_increase(current: int, signed: int) -> int:
    """How many of ``signed`` units open or grow a position (the rest reduce one)."""
    if current == 0 or (current > 0) == (signed > 0):
        return abs(signed)
    return max(0, abs(signed) - abs(current))


def _margin_to_block(user: AbstractBaseUser, order: Order, at: float | None) -> Decimal:
    if order.product == Product.CNC and order.action == Action.SELL:
        return Decimal(0)  # selling owned shares (checked above) needs no margin
    current = Position.objects.filter(user=user, symbol=order.symbol, exchange=order.exchange,
                                      product=order.product).values_list("quantity", flat=True).first() or 0
    signed = order.quantity if order.action == Action.BUY else -order.quantity
    increase = _exposure_increase(current, signed)
    if increase == 0:
        return Decimal(0)
    price = margins.reference_price(symbol=order.symbol, exchange=order.exchange, action=order.action,
                                    pricetype=order.pricetype, price=order.price, trigger_price=order.trigger_price,
                                    at=at)
    return margins.margin_required(symbol=order.symbol, exchange=order.exchange, product=order.product,
                                   action=order.action, quantity=increase, price=price)


def _initial_status(pricetype: str) -> str:
    return OrderStatus.TRIGGER_PENDING if pricetype in (PriceType.SL, PriceType.SL_M) else OrderStatus.OPEN


def _triggered(order: Order, last: float) -> bool:
    trigger = float(order.trigger_price)
    return last >= trigger if order.action == Action.BUY else last <= trigger


def _advance(order: Order, account: Account, snap: market.Snapshot, *, fresh: bool, books: _Books | None = None) -> None:
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
    _fill(order, account, _money(price), books)


def _apply(quantity: int, average: Decimal, signed: int, price: Decimal) -> tuple[int, Decimal, Decimal]:
    """(new quantity, new average price, realised P&L) after a fill of ``signed`` units."""
    if signed == 0:  # e.g. a CNC sell served entirely from holdings
        return quantity, average, Decimal(0)
    new_quantity = quantity + signed
    if quantity == 0 or (quantity > 0) == (signed > 0):
        new_average = (abs(quantity) * average + abs(signed) * price) / abs(new_quantity)
        return new_quantity, new_average.quantize(margins.FOUR_PLACES), Decimal(0)
    closing = min(abs(quantity), abs(signed))
    realized = closing * (price - average) * (1 if quantity > 0 else -1)
    if new_quantity == 0:
        new_average = Decimal(0)
    elif (new_quantity > 0) == (quantity > 0):
        new_average = average
    else:
        new_average = price  # flipped: the remainder opened at this price
    return new_quantity, new_average, realized


def position_margin(p: Position) -> Decimal:
    """The margin an open position holds, by leverage at its average price."""
    if not p.quantity:
        return Decimal(0)
    return margins.margin_required(symbol=p.symbol, exchange=p.exchange, product=p.product,
                                   action=Action.BUY if p.quantity > 0 else Action.SELL, quantity=p.quantity,
                                   price=p.average_price)


def _blocked(user, *, exclude: Order | None = None, exclude_gtt: GttOrder | None = None) -> Decimal:
    """Margin blocked by open orders and reserved by active GTTs."""
    rows = Order.objects.filter(user=user, status__in=OPEN_STATUSES)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    gtts = GttOrder.objects.filter(user=user, status=GttStatus.ACTIVE)
    if exclude_gtt is not None:
        gtts = gtts.exclude(pk=exclude_gtt.pk)
    return (sum(rows.values_list("margin_blocked", flat=True), Decimal(0))
            + sum(gtts.values_list("margin_blocked", flat=True), Decimal(0)))


@dataclass(frozen=True)
class Leg:
    """One order a GTT may place: its side, size and the price its margin is sized at."""

    action: str
    quantity: int
    price: Decimal


def gtt_margin_reserve(
    *, user: AbstractBaseUser, symbol: str, exchange: str, product: str, legs: list[Leg],
    replacing: GttOrder | None = None,
) -> Decimal:
    """The margin a GTT reserves, checked against the funds available (inside the caller's
    transaction, with the account locked); TradingError when they do not cover it.

    Each leg needs what its order would block if it were placed now (so a leg that only
    reduces a position needs none); an OCO reserves its larger leg, as only one can fire.
    ``replacing``: the GTT being modified, whose own reservation is not counted against it.
    """
    account = _locked_account(user)
    needed = Decimal(0)
    for leg in legs:
        order = Order(user=user, symbol=symbol, exchange=exchange, product=product, action=leg.action,
                      quantity=leg.quantity, pricetype=PriceType.LIMIT, price=leg.price)
        needed = max(needed, _margin_to_block(user, order, None))
    if needed:
        available = _available(account, list(Position.objects.filter(user=user)),
                               blocked=_blocked(user, exclude_gtt=replacing), holdings_cost=_holdings_cost(user))
        shortage = _shortage(needed, available)
        if shortage is not None:
            raise TradingError(shortage)
    return needed


def _shortage(needed: Decimal, available: Decimal) -> str | None:
    """OpenAlgo's refusal when ``needed`` margin exceeds the funds ``available``."""
    if needed <= available:
        return None
    return (f"Insufficient funds. Required: ₹{needed:.2f}, Available: ₹{available:.2f}, "
            f"Shortage: ₹{needed - available:.2f}")


def _holdings_cost(user) -> Decimal:
    return sum((h.quantity * h.average_price for h in Holding.objects.filter(user=user)), Decimal(0))


def _available(account: Account, positions, *, blocked: Decimal, holdings_cost: Decimal) -> Decimal:
    """Starting cash + realised P&L − margin held by positions − margin blocked by open
    orders − money now in settled holdings."""
    realized = sum((p.realized_pnl for p in positions), Decimal(0))
    held = sum((position_margin(p) for p in positions), Decimal(0))
    return account.starting_cash + realized - held - blocked - holdings_cost


def _fill(order: Order, account: Account, price: Decimal, books: _Books | None = None) -> None:
    position, _ = Position.objects.select_for_update().get_or_create(
        user_id=order.user_id, symbol=order.symbol, exchange=order.exchange, product=order.product
    )
    quantity = order.quantity
    from_holding = 0
    holding = None
    if order.product == Product.CNC and order.action == Action.SELL:
        # Delivery shares sold beyond today's CNC position come out of holdings.
        from_holding = max(0, quantity - max(position.quantity, 0))
        if from_holding:
            holding = Holding.objects.select_for_update().filter(
                user_id=order.user_id, symbol=order.symbol, exchange=order.exchange).first()
            if holding is None or holding.quantity < from_holding:
                _reject(order, f"Cannot sell {quantity} shares of {order.symbol} in CNC: not enough shares held")
                return
    signed = (quantity if order.action == Action.BUY else -quantity) + from_holding
    new_quantity, new_average, realized = _apply(position.quantity, position.average_price, signed, price)
    if abs(new_quantity) > abs(position.quantity):
        if books is not None:
            others = [p for p in books.positions if p.pk != position.pk]
            blocked, held = books.blocked, books.holdings_cost
        else:
            others = list(Position.objects.filter(user_id=order.user_id).exclude(pk=position.pk))
            blocked, held = _blocked(order.user_id, exclude=order), _holdings_cost(order.user_id)
        after_position = Position(
            symbol=position.symbol, exchange=position.exchange, product=position.product, quantity=new_quantity,
            average_price=new_average, realized_pnl=position.realized_pnl + realized,
        )
        if _available(account, [*others, after_position], blocked=blocked, holdings_cost=held) < 0:
            before = _available(account, [*others, position], blocked=blocked, holdings_cost=held)
            needed = position_margin(after_position) - position_margin(position)
            _reject(order, f"Insufficient funds. Required: \u20b9{needed:.2f}, Available: \u20b9{before:.2f}")
            return
    if holding is not None:
        realized += from_holding * (price - holding.average_price)
        holding.quantity -= from_holding
        holding.save(update_fields=["quantity", "updated_at"])
    position.quantity, position.average_price = new_quantity, new_average
    position.realized_pnl += realized
    position.save()
    Trade.objects.create(
        order=order, user_id=order.user_id, symbol=order.symbol, exchange=order.exchange, action=order.action,
        product=order.product, quantity=order.quantity, price=price, realized_pnl=realized,
    )
    order.status, order.filled_quantity, order.average_price = OrderStatus.COMPLETE, order.quantity, price
    order.margin_blocked = Decimal(0)  # released: the position holds its own margin now
    order.save(update_fields=["status", "filled_quantity", "average_price", "margin_blocked", "updated_at"])
    events.publish_order_event(order.user_id, shapes.order_update(order, event="filled"))


def _reject(order: Order, reason: str) -> None:
    order.status, order.rejection_reason, order.margin_blocked = OrderStatus.REJECTED, reason[:255], Decimal(0)
    order.save(update_fields=["status", "rejection_reason", "margin_blocked", "updated_at"])
    events.publish_order_event(order.user_id, shapes.order_update(order, event="rejected"))


def open_orders_match(*, user: AbstractBaseUser, at: float | None = None) -> None:
    """Fill or trigger whatever of ``user``'s resting orders the market now reaches."""
    from trading import gtt  # gtt places its orders through this module

    settle(user)
    gtt.triggers_match(user=user, at=at)
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
        order.status, order.margin_blocked = OrderStatus.CANCELLED, Decimal(0)  # the margin is released
        order.save(update_fields=["status", "margin_blocked", "updated_at"])
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
class SymbolPnl:
    """One position's P&L for the IST day: unrealised at the last price, realised by
    today's fills, and their sum."""

    position: Position
    unrealized: Decimal
    today_realized: Decimal

    @property
    def total_today(self) -> Decimal:
        return self.unrealized + self.today_realized


def pnl_by_symbol(*, user: AbstractBaseUser, at: float | None = None) -> list[SymbolPnl]:
    """Every open position, and every position a fill of today's IST day touched."""
    views = positions_list(user=user, at=at)
    since = _ist_midnight(timezone.now())
    realized_today: dict[tuple[str, str, str], Decimal] = {}
    for symbol, exchange, product, realized in Trade.objects.filter(user=user, executed_at__gte=since).values_list(
            "symbol", "exchange", "product", "realized_pnl"):
        key = (symbol, exchange, product)
        realized_today[key] = realized_today.get(key, Decimal(0)) + realized
    rows = []
    for v in views:
        p = v.position
        key = (p.symbol, p.exchange, p.product)
        if p.quantity == 0 and key not in realized_today:
            continue
        rows.append(SymbolPnl(p, v.pnl - p.realized_pnl, realized_today.get(key, Decimal(0))))
    return rows


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
    utilised = sum((position_margin(v.position) for v in views), Decimal(0)) + _blocked(user)
    unrealized = sum((v.pnl - v.position.realized_pnl for v in views), Decimal(0))
    available = start + realized - utilised - _holdings_cost(user)
    return Funds(available=available, realized=realized, unrealized=unrealized, utilised=utilised)


# --- Position-driven and bulk actions ----------------------------------------------------

def account_lock(user: AbstractBaseUser) -> Account:
    """Lock ``user``'s account row for the rest of the caller's transaction."""
    return _locked_account(user)


def position_quantity(*, user: AbstractBaseUser, symbol: str, exchange: str, product: str) -> int:
    """The net quantity of one position (0 when there is none), after resting orders move."""
    open_orders_match(user=user)
    quantity = (
        Position.objects.filter(user=user, symbol=symbol, exchange=exchange, product=product)
        .values_list("quantity", flat=True).first()
    )
    return quantity or 0


def order_modify(
    *, user: AbstractBaseUser, orderid: str, quantity: int, price: Decimal, trigger_price: Decimal,
    disclosed_quantity: int = 0,
) -> Order:
    """Change an open order's quantity and prices (OpenAlgo's sandbox keeps its price
    type), then let the market reach it at once if it now can."""
    open_orders_match(user=user)
    with transaction.atomic():
        account = _locked_account(user)
        order = Order.objects.select_for_update().filter(user=user, orderid=orderid).first()
        if order is None:
            raise NotFound(f"Order {orderid} not found")
        if order.status not in OPEN_STATUSES:
            raise TradingError(f"Cannot modify order in {order.status} status")
        if order.pricetype in (PriceType.MARKET, PriceType.SL_M) and price > 0:
            raise TradingError(f"{order.pricetype} orders do not accept a price")
        if order.pricetype in (PriceType.MARKET, PriceType.LIMIT) and trigger_price > 0:
            raise TradingError(f"{order.pricetype} orders do not accept a trigger_price")
        order.quantity, order.disclosed_quantity = quantity, min(disclosed_quantity, quantity)
        if price > 0:
            order.price = price
        if trigger_price > 0:
            order.trigger_price = trigger_price
        # Checked again as the order now stands, as a new order would be: the shares a CNC
        # sell needs, and the margin it blocks (its old block is not counted against it).
        refusal = _cnc_sell_refusal(user, order)
        if refusal is None:
            order.margin_blocked = _margin_to_block(user, order, None)
            refusal = _shortage(order.margin_blocked, _available(
                account, list(Position.objects.filter(user=user)), blocked=_blocked(user, exclude=order),
                holdings_cost=_holdings_cost(user)))
        if refusal is not None:
            raise TradingError(refusal)
        order.save(update_fields=["quantity", "disclosed_quantity", "price", "trigger_price", "margin_blocked",
                                  "updated_at"])
        events.publish_order_event(user.pk, shapes.order_update(order, event="modified"))
        # Marketable now: fills at the touch, as a new order would (the market did not move to it).
        _advance(order, account, market.snapshot(order.symbol, order.exchange), fresh=True)
    return order


@dataclass(frozen=True)
class CancelAll:
    cancelled: list[str]
    failed: list[dict]


def orders_cancel_all(*, user: AbstractBaseUser) -> CancelAll:
    """Cancel every open order of ``user`` (those the market reached fill first)."""
    open_orders_match(user=user)
    cancelled: list[str] = []
    failed: list[dict] = []
    orderids = Order.objects.filter(user=user, status__in=OPEN_STATUSES).order_by("created_at", "id")
    for orderid in orderids.values_list("orderid", flat=True):
        try:
            order_cancel(user=user, orderid=orderid)
        except TradingError as refusal:
            failed.append({"orderid": orderid, "message": refusal.message})
        else:
            cancelled.append(orderid)
    return CancelAll(cancelled, failed)


def positions_close_all(*, user: AbstractBaseUser, strategy: str = "", **only) -> list[Order]:
    """A MARKET order against every open position of ``user`` (or only the one named by
    ``symbol``, ``exchange`` and ``product``): the book goes flat."""
    open_orders_match(user=user)
    closing = []
    rows = Position.objects.filter(user=user, **only).exclude(quantity=0).order_by("symbol", "exchange", "product")
    for p in rows:
        request = OrderRequest(
            strategy=strategy, symbol=p.symbol, exchange=p.exchange, product=p.product,
            action=Action.SELL if p.quantity > 0 else Action.BUY, quantity=abs(p.quantity),
        )
        closing.append(order_execute(user=user, request=request))
    return closing


# --- Day boundaries: T+1 settlement of CNC buys, auto square-off of MIS --------------------

SQUARE_OFF_STRATEGY = "auto square-off"


def _ist_midnight(moment) -> datetime:
    local = moment.astimezone(shapes.IST)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def last_square_off(exchange: str, now: datetime | None = None) -> datetime | None:
    """The latest MIS square-off moment of ``exchange`` at or before ``now`` (IST wall
    clock from SANDBOX_SQUARE_OFF_TIMES), or None when the exchange has none."""
    setting = dict(app_settings.SANDBOX_SQUARE_OFF_TIMES).get(exchange)
    if not setting:
        return None
    now = now or timezone.now()
    hour, minute = (int(part) for part in str(setting).split(":"))
    today = _ist_midnight(now).replace(hour=hour, minute=minute)
    return today if today <= now else today - timedelta(days=1)


def _before_square_off(field: str, now: datetime) -> Q:
    """Rows whose ``field`` is before their exchange's latest square-off moment."""
    due = Q(pk__in=[])
    for exchange, _ in dict(app_settings.SANDBOX_SQUARE_OFF_TIMES).items():
        cutoff = last_square_off(exchange, now)
        if cutoff is not None:
            due |= Q(exchange=exchange, **{f"{field}__lt": cutoff})
    return due


def settle(user: AbstractBaseUser) -> None:
    """What the sandbox's clock has done since ``user`` last touched their books, done now
    (no background job): MIS positions and open MIS orders that were there at their
    exchange's square-off time are closed at that moment's market price / cancelled, and
    CNC positions bought on an earlier IST day become holdings."""
    now = timezone.now()
    midnight = _ist_midnight(now)
    # Only rows from before their exchange's last square-off: none in the common case, so
    # an order of an intraday trader holding MIS positions costs three cheap reads here.
    stale_mis = Position.objects.filter(_before_square_off("updated_at", now), user=user,
                                        product=Product.MIS).exclude(quantity=0)
    stale_cnc = Position.objects.filter(user=user, product=Product.CNC, quantity__gt=0, updated_at__lt=midnight)
    open_mis = Order.objects.filter(_before_square_off("created_at", now), user=user, product=Product.MIS,
                                    status__in=OPEN_STATUSES)
    if not (stale_mis.exists() or stale_cnc.exists() or open_mis.exists()):
        return
    with transaction.atomic():
        account = _locked_account(user)
        for order in open_mis.select_for_update():
            cutoff = last_square_off(order.exchange, now)
            if cutoff is not None and order.created_at < cutoff:
                order.status, order.margin_blocked = OrderStatus.CANCELLED, Decimal(0)
                order.rejection_reason = "Cancelled by auto square-off"
                order.save(update_fields=["status", "margin_blocked", "rejection_reason", "updated_at"])
                events.publish_order_event(user.pk, shapes.order_update(order, event="cancelled"))
        for p in stale_mis.select_for_update():
            cutoff = last_square_off(p.exchange, now)
            if cutoff is None or p.updated_at >= cutoff:
                continue
            request = OrderRequest(
                strategy=SQUARE_OFF_STRATEGY, symbol=p.symbol, exchange=p.exchange, product=p.product,
                action=Action.SELL if p.quantity > 0 else Action.BUY, quantity=abs(p.quantity),
            )
            _execute_locked(user, account, request, at=cutoff.timestamp())
            logger.info("auto square-off of %s %s for user %s", p.symbol, p.exchange, user.pk)
        for p in stale_cnc.select_for_update():
            holding, _ = Holding.objects.select_for_update().get_or_create(user=user, symbol=p.symbol,
                                                                          exchange=p.exchange)
            total = holding.quantity + p.quantity
            holding.average_price = _money(
                (holding.quantity * holding.average_price + p.quantity * p.average_price) / total)
            holding.quantity = total
            holding.save()
            p.quantity, p.average_price = 0, Decimal(0)
            p.save(update_fields=["quantity", "average_price", "updated_at"])


@dataclass(frozen=True)
class HoldingView:
    holding: Holding
    ltp: float
    pnl: Decimal


def holdings_list(*, user: AbstractBaseUser, at: float | None = None) -> list[HoldingView]:
    settle(user)
    views = []
    for h in Holding.objects.filter(user=user, quantity__gt=0):
        last = market.ltp(h.symbol, h.exchange, at)
        views.append(HoldingView(h, last, (_money(last) - h.average_price) * h.quantity))
    return views
