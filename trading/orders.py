"""Order placement by order mode: the one place that decides execute or queue.

Only ``auto`` executes. Anything else (``semi_auto``, an unknown value, a missing one)
queues the order in the Action Center: a mode that cannot be read never executes
(OpenAlgo's own router defaults to executing; that is the mistake not to repeat).
Cancels, status and book queries are never queued: reads always run, while modify,
cancel, cancel-all and close-position run only in ``auto`` (OpenAlgo refuses them in
semi-auto: ``order_change_require_auto``).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apikeys.models import OrderMode, PlatformApiKey
from trading import action_center, broker
from trading.errors import TradingError
from trading.models import Order, PendingOrder


@dataclass(frozen=True)
class Placement:
    order: Order | None = None
    pending_order: PendingOrder | None = None


def executes_immediately(order_mode: object) -> bool:
    return isinstance(order_mode, str) and order_mode == OrderMode.AUTO  # a str: equal to "auto"


def order_place(*, user: AbstractBaseUser, key_id: int | None, request: broker.OrderRequest) -> Placement:
    """Execute or queue by the order mode of key ``key_id`` as the database has it now.

    The mode is read inside the order's own transaction, never taken from the cached
    key check: a switch to ``semi_auto`` committed a moment ago queues this order.
    """
    with transaction.atomic():
        order_mode = current_order_mode(user=user, key_id=key_id)
        if executes_immediately(order_mode):
            return Placement(order=broker.order_execute(user=user, request=request))
        return Placement(pending_order=action_center.pending_order_create(user=user, request=request))


def current_order_mode(*, user: AbstractBaseUser, key_id: int | None) -> str | None:
    """The key's order mode, or None (queue) when this user has no such key that works now:
    a webhook strategy's key may have been revoked or have expired since it was chosen."""
    if key_id is None:
        return None
    return (PlatformApiKey.objects.usable().filter(pk=key_id, user=user)
            .exclude(expires_at__lte=timezone.now()).values_list("order_mode", flat=True).first())


@dataclass(frozen=True)
class Routed:
    """An order-placing call after routing: OpenAlgo's answer, or the queued entry."""

    answer: dict | None = None
    status: int = 200
    pending_order: PendingOrder | None = None


def order_route(*, user: AbstractBaseUser, key_id: int | None, api_type: str, data: dict) -> Routed:
    """Execute ``api_type`` (an ``order_kinds`` kind) or queue it, by the key's order mode
    read inside this transaction: the same decision as ``order_place``."""
    from trading import order_kinds

    with transaction.atomic():
        order_mode = current_order_mode(user=user, key_id=key_id)
        if executes_immediately(order_mode):
            answer, status = order_kinds.execute(api_type, user, data)
            return Routed(answer=answer, status=status)
        pending = action_center.pending_request_create(user=user, api_type=api_type, order_data=data)
        return Routed(pending_order=pending)


SEMI_AUTO_REFUSALS = {
    "modifyorder": (
        "Modify order operation is not allowed in Semi-Auto mode. Please switch to Auto mode to modify orders."
    ),
    "cancelorder": (
        "Cancel order operation is not allowed in Semi-Auto mode. Please switch to Auto mode to cancel orders."
    ),
    "cancelallorder": (
        "Cancel all orders operation is not allowed in Semi-Auto mode. Please switch to Auto mode to cancel orders."
    ),
    "closeposition": (
        "Close position operation is not allowed in Semi-Auto mode. Please switch to Auto mode to close positions."
    ),
    "modifygttorder": "Modify GTT order is not allowed in Semi-Auto mode. Switch to Auto mode.",
    "cancelgttorder": "Cancel GTT order is not allowed in Semi-Auto mode. Switch to Auto mode.",
}


class SemiAutoRefused(TradingError):
    status_code = 403


def order_change_require_auto(*, user: AbstractBaseUser, key_id: int | None, api_type: str) -> None:
    """Modify, cancel, cancel-all and close-position run only for an ``auto`` key: OpenAlgo
    refuses them in semi-auto (403, its message). A mode that cannot be read refuses too."""
    if not executes_immediately(current_order_mode(user=user, key_id=key_id)):
        raise SemiAutoRefused(SEMI_AUTO_REFUSALS[api_type])
