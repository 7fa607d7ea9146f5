"""The Action Center: orders placed in semi_auto mode wait here for their owner.

Approve executes the stored order exactly once: the status moves from pending to
approved by a conditional UPDATE (… WHERE status = 'pending' AND expires_at > now),
under a row lock, so of two simultaneous approvals (or an approve racing a reject)
exactly one wins and the other gets 409. A pending order past PENDING_ORDER_TTL_SECONDS
is expired: it can be neither approved nor rejected (409) and is marked so when tried.
Every lookup is scoped to the owner, so another user's id answers 404 like a missing one.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from trading import broker, events, shapes
from trading.conf import app_settings
from trading.errors import Conflict, NotFound
from trading.models import Order, PendingOrder, PendingStatus

logger = logging.getLogger(__name__)


def pending_order_create(
    *, user: AbstractBaseUser, request: broker.OrderRequest, api_type: str = "placeorder"
) -> PendingOrder:
    return pending_request_create(user=user, api_type=api_type, order_data=request.to_json())


def pending_request_create(*, user: AbstractBaseUser, api_type: str, order_data: dict) -> PendingOrder:
    """Queue any order-placing request (``order_data``: its validated fields as JSON)."""
    now = timezone.now()
    with transaction.atomic():
        pending = PendingOrder.objects.create(
            user=user, api_type=api_type, order_data=order_data, created_at=now,
            expires_at=now + timedelta(seconds=int(app_settings.PENDING_ORDER_TTL_SECONDS)),
        )
        events.publish_order_event(user.pk, shapes.pending_order_update(pending, event="queued"))
    logger.info("order queued for approval: pending order %s of user %s", pending.pk, user.pk)
    return pending


def pending_orders_list(*, user: AbstractBaseUser, status: str = "pending") -> list[PendingOrder]:
    """``status``: pending, approved, rejected, expired (including lapsed pending), all."""
    now = timezone.now()
    rows = PendingOrder.objects.filter(user=user).select_related("order")
    if status == PendingStatus.PENDING:
        rows = rows.filter(status=PendingStatus.PENDING, expires_at__gt=now)
    elif status == PendingStatus.EXPIRED:
        rows = rows.filter(Q(status=PendingStatus.EXPIRED) | Q(status=PendingStatus.PENDING, expires_at__lte=now))
    elif status != "all":
        rows = rows.filter(status=status)
    return list(rows)


def pending_statistics(*, user: AbstractBaseUser) -> dict:
    counts = {s: 0 for s in PendingStatus.values}
    for row in PendingOrder.objects.filter(user=user).only("status", "expires_at"):
        counts[row.effective_status] += 1
    return {f"total_{status}": count for status, count in counts.items()}


class PendingOrderExpired(Conflict):
    def __init__(self) -> None:
        super().__init__("Pending order has expired")


def _decidable(user: AbstractBaseUser, pending_order_id: int) -> QuerySet:
    return PendingOrder.objects.filter(pk=pending_order_id, user=user)


def _claim(user: AbstractBaseUser, pending_order_id: int, new_status: str, **extra) -> PendingOrder:
    """Lock the row and move it from pending to ``new_status``, or raise 404 / 409."""
    now = timezone.now()
    row = _decidable(user, pending_order_id).select_for_update().first()
    if row is None:
        raise NotFound("Pending order not found")
    if row.effective_status == PendingStatus.EXPIRED:
        raise PendingOrderExpired()
    claimed = (
        _decidable(user, pending_order_id)
        .filter(status=PendingStatus.PENDING, expires_at__gt=now)
        .update(status=new_status, decided_at=now, **extra)
    )
    if claimed != 1:
        row.refresh_from_db(fields=["status"])
        raise Conflict(f"Pending order is already {row.effective_status}")
    row.status, row.decided_at = new_status, now
    for field, value in extra.items():
        setattr(row, field, value)
    return row


def pending_order_approve(
    *, user: AbstractBaseUser, pending_order_id: int
) -> tuple[PendingOrder, Order | dict]:
    """Approve and execute once (whatever the key's mode is now: the owner decided).

    A queued placeorder gives the Order (linked to this entry); any other kind
    (placesmartorder, basketorder, splitorder) gives OpenAlgo's answer to that call, as
    the same code would have answered it in auto mode.
    """
    from trading import order_kinds

    try:
        with transaction.atomic():
            row = _claim(user, pending_order_id, PendingStatus.APPROVED)
            outcome: Order | dict
            if row.api_type == "placeorder":
                outcome = broker.order_execute(
                    user=user, request=broker.OrderRequest.from_data(row.order_data), pending_order=row
                )
            else:
                outcome, _ = order_kinds.execute(row.api_type, user, row.order_data)
            events.publish_order_event(user.pk, shapes.pending_order_update(row, event="approved"))
    except PendingOrderExpired:
        _mark_expired(user, pending_order_id)
        raise
    logger.info("pending order %s (%s) approved by user %s", pending_order_id, row.api_type, user.pk)
    return row, outcome


def pending_order_reject(*, user: AbstractBaseUser, pending_order_id: int, reason: str = "") -> PendingOrder:
    """Reject: the order is never executed."""
    try:
        with transaction.atomic():
            row = _claim(user, pending_order_id, PendingStatus.REJECTED, rejection_reason=reason[:255])
            events.publish_order_event(user.pk, shapes.pending_order_update(row, event="rejected"))
    except PendingOrderExpired:
        _mark_expired(user, pending_order_id)
        raise
    logger.info("pending order %s rejected by user %s", pending_order_id, user.pk)
    return row


def _mark_expired(user: AbstractBaseUser, pending_order_id: int) -> None:
    """Record an expiry found by a refused decision (so the admin shows it too)."""
    with transaction.atomic():
        changed = (
            _decidable(user, pending_order_id)
            .filter(status=PendingStatus.PENDING, expires_at__lte=timezone.now())
            .update(status=PendingStatus.EXPIRED)
        )
        if changed:
            row = _decidable(user, pending_order_id).first()
            events.publish_order_event(user.pk, shapes.pending_order_update(row, event="expired"))
