"""Idempotent order calls: a retried request acts once.

A client that timed out does not know whether its order (or modify, cancel, close...)
went through; sending it again with the same ``Idempotency-Key`` header (or
``idempotency_key`` in the JSON body, for webhook senders that cannot set headers) within
ORDER_IDEMPOTENCY_SECONDS (24 h) gets the first answer back and does nothing. The key is
the client's and is scoped to its user; every order-changing endpoint goes through
``answer_once`` (the fingerprint names the endpoint, so one key cannot serve two calls).

The first answer is stored in the same transaction that places the order, under a unique
(user, key) index: of two racing requests with one key, the second's insert waits for the
first to commit and then fails, its own order rolls back with it, and it answers with
what the first stored. The same key sent with a different order is refused (422), never
answered with another order's result.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from trading.conf import app_settings
from trading.errors import TradingError
from trading.models import IdempotentOrderRequest

HEADER = "HTTP_IDEMPOTENCY_KEY"
BODY_FIELD = "idempotency_key"
MAX_KEY_LENGTH = 255


class KeyReused(TradingError):
    status_code = 422


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


def key_from(meta, data) -> str | None:
    """The request's idempotency key (header, else body field), or None; TradingError (400)
    for one that is not 1–255 printable ASCII characters, or a header and field that differ."""
    header = meta.get(HEADER)
    field = data.get(BODY_FIELD) if hasattr(data, "get") else None
    if header is not None and field is not None and header != field:
        raise TradingError("The Idempotency-Key header and the idempotency_key field differ")
    key = header if header is not None else field
    if key is None:
        return None
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise TradingError(f"Idempotency key must be 1-{MAX_KEY_LENGTH} printable ASCII characters")
    return key


def answer_once(
    *, user: AbstractBaseUser, meta, body, endpoint: str, data: dict, act: Callable[[], Answer]
) -> Answer:
    """``act()``'s answer, once per idempotency key found in ``meta`` (the request's
    headers) or ``body``; without a key, simply ``act()``. ``data`` is the validated call
    as JSON (its fingerprint, with ``endpoint``, tells a retry from a different call)."""
    key = key_from(meta, body)
    if key is None:
        return act()
    call = {"endpoint": endpoint, **{name: value for name, value in data.items() if name != BODY_FIELD}}
    return place_once(user=user, key=key, order=call, place=act)


def fingerprint(order: dict) -> str:
    return hashlib.sha256(json.dumps(order, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def place_once(*, user: AbstractBaseUser, key: str, order: dict, place: Callable[[], Answer]) -> Answer:
    """``place()`` once per (user, key) within the window; later calls get its answer."""
    digest = fingerprint(order)
    try:
        with transaction.atomic():
            stored = _stored(user, key)
            if stored is not None:
                return _replay(stored, digest)
            answer = place()
            IdempotentOrderRequest.objects.create(
                user=user, key=key, fingerprint=digest, status=answer.status, answer=answer.body,
            )
            return answer
    except IntegrityError:  # a request with this key committed first: its order stands, ours rolled back
        stored = _stored(user, key)
        if stored is None:
            raise
        return _replay(stored, digest)


def _stored(user: AbstractBaseUser, key: str) -> IdempotentOrderRequest | None:
    cutoff = timezone.now() - timedelta(seconds=int(app_settings.ORDER_IDEMPOTENCY_SECONDS))
    row = IdempotentOrderRequest.objects.filter(user=user, key=key).first()
    if row is not None and row.created_at <= cutoff:
        # Expired keys are forgotten as they are met again (with this user's other expired ones).
        IdempotentOrderRequest.objects.filter(user=user, created_at__lte=cutoff).delete()
        return None
    return row


def _replay(stored: IdempotentOrderRequest, digest: str) -> Answer:
    if stored.fingerprint != digest:
        raise KeyReused("This Idempotency-Key was already used for a different request")
    return Answer(stored.status, stored.answer, replayed=True)
