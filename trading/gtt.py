"""GTT (Good Till Triggered) orders in the sandbox: place, modify, cancel, list, and the
trigger check that fires them against the simulated market.

A SINGLE GTT has one trigger (``triggerprice_sl`` or ``triggerprice_tg``) and places its
order (LIMIT at ``price``, or MARKET) when the last price crosses the trigger from the
side it was on when placed. An OCO GTT has a stoploss leg (fires when the last price falls
to ``triggerprice_sl``, LIMIT at ``stoploss``) and a target leg (fires when it rises to
``triggerprice_tg``, LIMIT at ``target``); the first to fire ends the GTT. Checked, like
resting orders, whenever the owner next touches the books.

Margin, as OpenAlgo's sandbox: an active GTT reserves what its order would block (an OCO
its larger leg), so it cannot promise an order the account cannot pay for; the reservation
is released when the GTT fires or is cancelled, and re-sized when it is modified.
"""
from __future__ import annotations

import secrets
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from trading import broker, events, market, shapes
from trading.errors import NotFound, TradingError
from trading.models import GttOrder, GttStatus, OrderStatus, PriceType

_FIELDS = ("strategy", "trigger_type", "symbol", "exchange", "action", "product", "quantity", "pricetype", "price",
           "triggerprice_sl", "triggerprice_tg", "stoploss", "target")


def _decimal_or_none(value) -> Decimal | None:
    if value in (None, ""):
        return None
    number = Decimal(str(value))
    return number if number > 0 else None


def _values(data: dict) -> dict:
    values = {name: data.get(name) for name in _FIELDS}
    values["quantity"] = int(data["quantity"])
    values["price"] = Decimal(str(values["price"] or 0))
    for name in ("triggerprice_sl", "triggerprice_tg", "stoploss", "target"):
        values[name] = _decimal_or_none(values[name])
    values["strategy"] = values["strategy"] or ""
    return values


def _new_trigger_id() -> str:
    return f"GTT-{timezone.now().astimezone(shapes.IST):%y%m%d}{secrets.randbelow(10**9):09d}"


def _legs(values: dict, last: Decimal) -> list[broker.Leg]:
    """The orders the GTT may place, each priced for its margin at its limit price, else
    its trigger (a MARKET leg fills about there), else the last price."""
    def leg(limit, trigger) -> broker.Leg:
        price = next((p for p in (limit, trigger) if p is not None and p > 0), last)
        return broker.Leg(action=values["action"], quantity=values["quantity"], price=price)

    if values["trigger_type"] == "OCO":
        return [leg(values["stoploss"], values["triggerprice_sl"]), leg(values["target"], values["triggerprice_tg"])]
    limit = values["price"] if values["pricetype"] == PriceType.LIMIT else None
    return [leg(limit, values["triggerprice_sl"] or values["triggerprice_tg"])]


def _reserve(user: AbstractBaseUser, values: dict, last: Decimal, *, replacing: GttOrder | None = None) -> Decimal:
    return broker.gtt_margin_reserve(
        user=user, symbol=values["symbol"], exchange=values["exchange"], product=values["product"],
        legs=_legs(values, last), replacing=replacing,
    )


def gtt_place(*, user: AbstractBaseUser, data: dict) -> GttOrder:
    """Place a GTT, reserving the margin its order would need (400 when funds fall short)."""
    triggers_match(user=user)
    values = _values(data)
    last = Decimal(str(market.ltp(values["symbol"], values["exchange"])))
    with transaction.atomic():
        reserved = _reserve(user, values, last)
        for _ in range(5):
            try:
                with transaction.atomic():
                    gtt = GttOrder.objects.create(user=user, trigger_id=_new_trigger_id(), last_price=last,
                                                  margin_blocked=reserved, **values)
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError("could not allocate a unique trigger id")
    events.publish_order_event(user.pk, gtt_update(gtt, event="gtt_placed"))
    return gtt


def _active(user: AbstractBaseUser, trigger_id: str) -> GttOrder:
    gtt = GttOrder.objects.select_for_update().filter(user=user, trigger_id=trigger_id).first()
    if gtt is None:
        raise NotFound(f"GTT {trigger_id} not found")
    if gtt.status != GttStatus.ACTIVE:
        raise TradingError(f"GTT {trigger_id} is {gtt.status} and cannot be changed")
    return gtt


def gtt_modify(*, user: AbstractBaseUser, trigger_id: str, data: dict) -> GttOrder:
    """A full replacement of the trigger's prices and order, as OpenAlgo's modify;
    trigger type, symbol, exchange and action cannot change."""
    triggers_match(user=user)
    values = _values(data)
    with transaction.atomic():
        gtt = _active(user, trigger_id)
        for fixed in ("trigger_type", "symbol", "exchange", "action"):
            if values[fixed] != getattr(gtt, fixed):
                raise TradingError(f"{fixed} of a GTT cannot be modified: cancel it and place a new one")
        last = Decimal(str(market.ltp(gtt.symbol, gtt.exchange)))
        reserved = _reserve(user, values, last, replacing=gtt)
        for name, value in values.items():
            setattr(gtt, name, value)
        gtt.last_price, gtt.margin_blocked = last, reserved
        gtt.save()
        events.publish_order_event(user.pk, gtt_update(gtt, event="gtt_modified"))
    return gtt


def gtt_cancel(*, user: AbstractBaseUser, trigger_id: str) -> GttOrder:
    triggers_match(user=user)
    with transaction.atomic():
        gtt = _active(user, trigger_id)
        gtt.status, gtt.margin_blocked = GttStatus.CANCELLED, Decimal(0)  # the reservation is released
        gtt.save(update_fields=["status", "margin_blocked", "updated_at"])
        events.publish_order_event(user.pk, gtt_update(gtt, event="gtt_cancelled"))
    return gtt


def gtt_list(*, user: AbstractBaseUser, include_all: bool = False) -> list[GttOrder]:
    triggers_match(user=user)
    rows = GttOrder.objects.filter(user=user)
    return list(rows if include_all else rows.filter(status=GttStatus.ACTIVE))


def _crossed(trigger: Decimal, last_at_placement: Decimal, ltp: Decimal) -> bool:
    return ltp <= trigger if last_at_placement > trigger else ltp >= trigger


def fired_leg(gtt: GttOrder, ltp: Decimal) -> tuple[str, Decimal] | None:
    """(pricetype, limit price) of the order the market now fires, or None."""
    if gtt.trigger_type == "OCO":
        if gtt.triggerprice_sl is not None and ltp <= gtt.triggerprice_sl:
            return PriceType.LIMIT, gtt.stoploss or Decimal(0)
        if gtt.triggerprice_tg is not None and ltp >= gtt.triggerprice_tg:
            return PriceType.LIMIT, gtt.target or Decimal(0)
        return None
    trigger = gtt.triggerprice_sl or gtt.triggerprice_tg
    if trigger is None or not _crossed(trigger, gtt.last_price, ltp):
        return None
    return gtt.pricetype, gtt.price


def triggers_match(*, user: AbstractBaseUser, at: float | None = None) -> None:
    """Fire every active GTT of ``user`` whose trigger the market has reached."""
    if not GttOrder.objects.filter(user=user, status=GttStatus.ACTIVE).exists():
        return
    with transaction.atomic():
        for gtt in GttOrder.objects.select_for_update().filter(user=user, status=GttStatus.ACTIVE):
            ltp = Decimal(str(market.ltp(gtt.symbol, gtt.exchange, at)))
            leg = fired_leg(gtt, ltp)
            if leg is None:
                continue
            pricetype, price = leg
            # Released first: the order it places blocks its own margin, checked without it.
            gtt.margin_blocked = Decimal(0)
            gtt.save(update_fields=["margin_blocked", "updated_at"])
            request = broker.OrderRequest(
                strategy=gtt.strategy, symbol=gtt.symbol, exchange=gtt.exchange, action=gtt.action,
                quantity=gtt.quantity, product=gtt.product, pricetype=pricetype,
                price=price if pricetype == PriceType.LIMIT else Decimal(0),
            )
            order = broker.order_execute(user=user, request=request, at=at)
            gtt.order = order
            gtt.status = GttStatus.REJECTED if order.status == OrderStatus.REJECTED else GttStatus.TRIGGERED
            gtt.save(update_fields=["order", "status", "updated_at"])
            events.publish_order_event(user.pk, gtt_update(gtt, event="gtt_triggered"))


def gtt_row(g: GttOrder) -> dict:
    """One row of OpenAlgo's gttorderbook."""
    leg = lambda price: {"action": g.action, "quantity": g.quantity, "price": shapes.num(price),  # noqa: E731
                         "pricetype": g.pricetype if g.trigger_type == "SINGLE" else "LIMIT", "product": g.product}
    if g.trigger_type == "OCO":
        triggers, legs = [shapes.num(g.triggerprice_sl), shapes.num(g.triggerprice_tg)], [leg(g.stoploss), leg(g.target)]
    else:
        triggers, legs = [shapes.num(g.triggerprice_sl or g.triggerprice_tg)], [leg(g.price)]
    return {
        "trigger_id": g.trigger_id,
        "trigger_type": "two-leg" if g.trigger_type == "OCO" else "single",
        "status": g.status,
        "symbol": g.symbol,
        "exchange": g.exchange,
        "trigger_prices": triggers,
        "last_price": shapes.num(g.last_price),
        "legs": legs,
        "orderid": g.order.orderid if g.order_id else None,
        "created_at": shapes.ist_text(g.created_at, "%Y-%m-%d %H:%M:%S"),
        "updated_at": shapes.ist_text(g.updated_at, "%Y-%m-%d %H:%M:%S"),
        "expires_at": "",
    }


def gtt_update(g: GttOrder, *, event: str) -> dict:
    """The ``subscribe_orders`` message for a GTT transition."""
    return {"type": "gtt_update", "event": event, "user_id": g.user_id, "mode": "analyze", "broker": "sandbox",
            **gtt_row(g)}
