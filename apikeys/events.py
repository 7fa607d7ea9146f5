"""Tell every server process that a user's platform key changed.

WebSocket consumers join the channel-layer group ``apikey.<user_id>``; a regenerate or a
revoke sends ``apikey.revoked`` there after the transaction commits, and each consumer
holding a socket authenticated with the old key closes it. With channels_redis this
reaches every process.
"""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def key_group(user_id: int) -> str:
    return f"apikey.{user_id}"


def _send_key_revoked(user_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(key_group(user_id), {"type": "apikey.revoked", "user_id": user_id})
    logger.info("platform key of user %s changed: sockets told to close", user_id)


def platform_key_changed(user_id: int) -> None:
    # robust: a channel-layer outage must not turn a committed revocation into a 500.
    transaction.on_commit(lambda: _send_key_revoked(user_id), robust=True)
