"""Order placement by order mode: the one place that decides execute or queue.

Only ``auto`` executes. Anything else (``semi_auto``, an unknown value, a missing one)
queues the order in the Action Center: a mode that cannot be read never executes
(OpenAlgo's own router defaults to executing; that is the mistake not to repeat).
Cancels, status and book queries never come through here, so they are never queued.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from apikeys.models import OrderMode
from trading import action_center, broker
from trading.models import Order, PendingOrder


@dataclass(frozen=True)
class Placement:
    order: Order | None = None
    pending_order: PendingOrder | None = None


def executes_immediately(order_mode: object) -> bool:
    return isinstance(order_mode, str) and order_mode == OrderMode.AUTO.value


def order_place(*, user: AbstractBaseUser, order_mode: object, request: broker.OrderRequest) -> Placement:
    """``order_mode`` as read from the key's row in this request."""
    if executes_immediately(order_mode):
        return Placement(order=broker.order_execute(user=user, request=request))
    return Placement(pending_order=action_center.pending_order_create(user=user, request=request))
