"""The Redis channel layer (config/channel_layer.py) on a redis-server of the test's own:
a receive ends when it is cancelled, whatever step it is at (a closing socket's consumer
ends with it), and a frozen Redis fails a send within the deadline instead of hanging."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import time

import pytest

from config.channel_layer import COMMAND_TIMEOUT_SECONDS, OutageTolerantRedisChannelLayer, redis_channel_layer
from tests.trading.redis_support import own_redis

pytestmark = [pytest.mark.asyncio, pytest.mark.own_services]


@pytest.fixture
def redis_url():
    with own_redis() as server:
        yield server


def _layer(url: str) -> OutageTolerantRedisChannelLayer:
    return OutageTolerantRedisChannelLayer(**redis_channel_layer(url, prefix="kw-layer")["CONFIG"])


async def test_a_receive_cancelled_at_any_step_ends(redis_url):
    """A consumer cancels its receive when its socket closes. Cancelled at every point of
    the receive's Redis round trips in turn (a cancellation lost there left the receive
    polling Redis for ever), every one ends at once."""
    layer = _layer(redis_url.url)
    rng = random.Random(7)
    try:
        for attempt in range(400):
            channel = await layer.new_channel()
            receive = asyncio.ensure_future(layer.receive(channel))
            for _ in range(attempt % 40):  # one more loop step each time, then again
                await asyncio.sleep(0)
            if attempt % 3 == 0:
                await asyncio.sleep(rng.random() * 0.002)
            receive.cancel()
            await asyncio.wait([receive], timeout=3)
            assert receive.done(), f"attempt {attempt}: the cancelled receive is still running"
        assert layer.receive_count == 0
    finally:
        await layer.flush()


async def test_a_message_still_reaches_a_receiver_after_cancelled_ones(redis_url):
    layer = _layer(redis_url.url)
    try:
        for _ in range(5):
            receive = asyncio.ensure_future(layer.receive(await layer.new_channel()))
            await asyncio.sleep(0.01)
            receive.cancel()
            await asyncio.wait([receive], timeout=3)
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "hello"})
        assert await asyncio.wait_for(layer.receive(channel), timeout=5) == {"type": "hello"}
    finally:
        await layer.flush()


async def test_a_frozen_redis_fails_a_group_send_within_the_deadline(redis_url):
    layer = _layer(redis_url.url)
    assert redis_url.process is not None
    os.kill(redis_url.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await layer.group_send("orders.1", {"type": "order.event", "data": {}})
        assert time.monotonic() - started < COMMAND_TIMEOUT_SECONDS + 2
    finally:
        os.kill(redis_url.process.pid, signal.SIGCONT)
    # Back: the next command works (the connection cut mid-command was dropped).
    await layer.group_send("orders.1", {"type": "order.event", "data": {}})
    await layer.flush()
