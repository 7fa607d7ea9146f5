"""The Channels layer on Redis (channels_redis), configured for long-lived sockets.

Each socket's receive loop blocks in Redis (BZPOPMIN) for up to 5 s at a time
(channels_redis' ``RedisChannelLayer.brpop_timeout``). The connections have no socket
timeout: redis-py's default (5 s) cut that read and closed every idle socket with 1011,
and with any socket timeout redis-py bounds each write with ``asyncio.wait_for``, which
on Python 3.11 can lose a cancellation that arrives as the write completes; the receive
task of a closing socket then went on polling Redis for ever, and its consumer with it,
holding the user's connection slot. So a deadline (``asyncio.timeout``, which keeps
cancellations) bounds each command the layer sends instead, the blocking receive
excepted: a frozen Redis makes a send or a group change fail in seconds, not hang.

A host given as a dict hands these options to redis-py's connection pool (channels_redis'
documented ``hosts`` form); options in the URL's query string still win.

After a Redis restart the pool still holds connections to the old server, and the first
command on each failed with ConnectionError (a new socket's authentication among them):
such a command is retried once on a fresh connection (every command the layer sends may
be repeated), and a connection idle for longer than the health-check interval is pinged
before use.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

COMMAND_TIMEOUT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 5.0
HEALTH_CHECK_SECONDS = 10


def redis_channel_layer(url: str, prefix: str) -> dict:
    """A CHANNEL_LAYERS entry for the Redis at ``url``."""
    return {
        "BACKEND": "config.channel_layer.OutageTolerantRedisChannelLayer",
        "CONFIG": {
            "hosts": [{
                "address": url,
                "socket_timeout": None,
                "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "health_check_interval": HEALTH_CHECK_SECONDS,
                "retry_on_error": [RedisConnectionError],
            }],
            "prefix": prefix,
        },
    }


class OutageTolerantRedisChannelLayer(RedisChannelLayer):
    """channels_redis' layer whose ``receive`` waits a Redis outage out instead of raising.

    A consumer's receive loop ends the consumer when ``receive`` raises, so every socket
    closed with 1011 the moment Redis went away, though its ticks come from this process.
    Here the loop keeps waiting (retrying with a growing pause, logged once per outage):
    sockets keep their ticks, and control messages (order events, revocation notices)
    resume when Redis is back. What was sent meanwhile is lost with Redis; the platform-key
    eviction feed makes every socket check its key again when it comes back.
    """

    outage_logged = False

    async def receive(self, channel):
        pause = 0.1
        while True:
            try:
                message = await super().receive(channel)
            except (RedisError, OSError) as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # The consumer is closing: its cancellation surfaced as a Redis error
                    # (a read cut short); waiting on would keep the socket's task alive.
                    raise asyncio.CancelledError from exc
                if not OutageTolerantRedisChannelLayer.outage_logged:
                    OutageTolerantRedisChannelLayer.outage_logged = True
                    logger.warning("channel layer unavailable (%s): sockets wait for Redis", type(exc).__name__)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
                continue
            if OutageTolerantRedisChannelLayer.outage_logged:
                OutageTolerantRedisChannelLayer.outage_logged = False
                logger.warning("channel layer answers again")
            return message

    # The commands other than the blocking receive, each within its deadline.
    async def send(self, channel, message):
        await _within_deadline(super().send(channel, message))

    async def group_add(self, group, channel):
        await _within_deadline(super().group_add(group, channel))

    async def group_discard(self, group, channel):
        await _within_deadline(super().group_discard(group, channel))

    async def group_send(self, group, message):
        await _within_deadline(super().group_send(group, message))


async def _within_deadline(command: Awaitable[None]) -> None:
    async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
        await command
