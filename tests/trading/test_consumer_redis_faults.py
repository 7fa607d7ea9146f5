"""The stream when its channel layer's Redis dies under it: sockets live on (their ticks
are this process's own), authentication is refused clearly meanwhile, and every per-user
connection slot is freed when sockets end.

Each test runs a redis-server of its own on a free port, so the shared one is never touched."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import pytest
from channels.testing import WebsocketCommunicator

from apikeys import eviction
from config.asgi import application
from config.channel_layer import COMMAND_TIMEOUT_SECONDS, redis_channel_layer
from tests.trading.redis_support import own_redis
from trading import consumers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.live]


def _layer_on(url: str) -> dict:
    return {"default": redis_channel_layer(url, prefix="kw-fault")}


async def _authenticated(key: str) -> tuple[WebsocketCommunicator, dict]:
    communicator = WebsocketCommunicator(application, "/")
    assert (await communicator.connect(timeout=5))[0]
    await communicator.send_json_to({"action": "authenticate", "apikey": key})
    return communicator, json.loads(await communicator.receive_from(timeout=5))


def _wait_for_feed(timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not eviction.cache_trusted():
        assert time.monotonic() < deadline, "the eviction feed never came up"
        time.sleep(0.02)


def _wait_for_feed_back(timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while eviction.cache_trusted():  # first it notices the outage...
        assert time.monotonic() < deadline
        time.sleep(0.02)
    _wait_for_feed(timeout)  # ...then Redis again


async def _until_gone(communicator: WebsocketCommunicator) -> None:
    """Read until the consumer closed the socket or died (the communicator raises the
    app's exception once a read times out)."""
    try:
        while (await communicator.receive_output(timeout=1))["type"] != "websocket.close":
            pass
    except Exception:
        pass


async def test_sockets_live_through_a_redis_crash_and_get_order_events_once_it_is_back(user, platform_key, settings):
    with own_redis() as redis:
        settings.CHANNEL_LAYERS = _layer_on(redis.url)
        settings.REDIS_URL = redis.url  # the eviction feed, on the same Redis as in production
        await asyncio.to_thread(_wait_for_feed)
        sockets = []
        for _ in range(3):
            communicator, answer = await _authenticated(platform_key)
            assert answer["status"] == "success", answer
            await communicator.send_json_to({"action": "subscribe_orders"})
            assert json.loads(await communicator.receive_from(timeout=5))["type"] == "subscribe_orders"
            sockets.append(communicator)
        redis.stop()
        await asyncio.sleep(1.0)  # every receive loop has met the dead Redis by now
        for communicator in sockets:  # still there, still answering
            await communicator.send_json_to({"action": "ping", "timestamp": 1})
            assert json.loads(await communicator.receive_from(timeout=5))["type"] == "pong"
        assert len(consumers.connections.by_user[user.pk]) == 3
        redis.start()  # same port, empty: as a restarted Redis without persistence
        from channels.layers import get_channel_layer

        probe = {"type": "order.event", "data": {"type": "order_update", "event": "probe"}}
        # The groups died with Redis: the sockets join theirs again when the platform-key
        # eviction feed (on the same Redis) says it is back.
        await asyncio.to_thread(_wait_for_feed_back)
        await asyncio.sleep(0.5)
        await get_channel_layer().group_send(f"orders.{user.pk}", probe)
        for communicator in sockets:
            assert json.loads(await communicator.receive_from(timeout=5))["event"] == "probe"
            await communicator.disconnect()
        await asyncio.sleep(0.1)
        assert user.pk not in consumers.connections.by_user  # every slot freed
        eviction.feed.stop()


async def test_authentication_while_redis_is_down_is_refused_clearly_and_keeps_no_slot(user, platform_key, settings):
    with own_redis() as redis:
        settings.CHANNEL_LAYERS = _layer_on(redis.url)
        redis.stop()
        for _ in range(4):
            communicator = WebsocketCommunicator(application, "/")
            connected, _ = await communicator.connect(timeout=5)
            if connected:
                await communicator.send_json_to({"action": "authenticate", "apikey": platform_key})
                try:
                    output = await communicator.receive_output(timeout=5)
                except Exception:  # the consumer's own receive from Redis failed first
                    output = None
                if output is not None and output["type"] == "websocket.send":
                    answer = json.loads(output["text"])
                    assert answer["status"] == "error" and answer["code"] == "SERVICE_UNAVAILABLE", answer
                await _until_gone(communicator)
        await asyncio.sleep(0.1)
        assert user.pk not in consumers.connections.by_user


async def test_authentication_while_redis_is_frozen_is_refused_within_the_deadline(user, platform_key, settings):
    """A Redis that accepts connections but never answers (SIGSTOP): the sign-in's group
    join gives up after the layer's command deadline and says so; the socket closes
    cleanly once Redis is back."""
    with own_redis() as redis:
        settings.CHANNEL_LAYERS = _layer_on(redis.url)
        communicator = WebsocketCommunicator(application, "/")
        assert (await communicator.connect(timeout=5))[0]
        assert redis.process is not None
        os.kill(redis.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            await communicator.send_json_to({"action": "authenticate", "apikey": platform_key})
            answer = json.loads(await communicator.receive_from(timeout=COMMAND_TIMEOUT_SECONDS + 10))
            took = time.monotonic() - started
        finally:
            os.kill(redis.process.pid, signal.SIGCONT)
        assert answer["status"] == "error" and answer["code"] == "SERVICE_UNAVAILABLE", answer
        assert took < COMMAND_TIMEOUT_SECONDS + 5
        await communicator.disconnect(timeout=5)
        assert user.pk not in consumers.connections.by_user


async def test_unsubscribe_orders_while_redis_is_down_says_unavailable_and_can_be_retried(user, platform_key, settings):
    with own_redis() as redis:
        settings.CHANNEL_LAYERS = _layer_on(redis.url)
        communicator, answer = await _authenticated(platform_key)
        assert answer["status"] == "success", answer
        await communicator.send_json_to({"action": "subscribe_orders"})
        assert json.loads(await communicator.receive_from(timeout=5))["status"] == "success"
        redis.stop()
        await communicator.send_json_to({"action": "unsubscribe_orders"})
        refused = json.loads(await communicator.receive_from(timeout=COMMAND_TIMEOUT_SECONDS + 5))
        assert refused["code"] == "SERVICE_UNAVAILABLE" and "try again" in refused["message"]
        redis.start()
        await communicator.send_json_to({"action": "unsubscribe_orders"})
        left = json.loads(await communicator.receive_from(timeout=5))
        assert left["type"] == "unsubscribe_orders" and left["status"] == "success", left
        await communicator.disconnect()
