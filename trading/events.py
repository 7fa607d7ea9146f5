"""Tell a user's order subscribers (WebSocket ``subscribe_orders``) what happened.

Each placement, fill, cancel, rejection and Action Center decision is sent to the
channel-layer group ``orders.<user_id>`` as ``{"type": "order.event", "data": {...}}``
once the transaction commits (never for a change that rolled back). With
channels_redis this reaches sockets in every server process. A channel-layer outage
is logged and does not undo or fail the order.
"""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def order_group(user_id: int) -> str:
    return f"orders.{user_id}"


def publish_order_event(user_id: int, data: dict) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(order_group(user_id), {"type": "order.event", "data": data})

    transaction.on_commit(send, robust=True)
