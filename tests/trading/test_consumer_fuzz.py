"""Thousands of random and malformed frames on one socket: errors, never a dead socket."""
from __future__ import annotations

import json
import logging
import random
import string

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ACTIONS = ["authenticate", "auth", "subscribe", "unsubscribe", "unsubscribe_all", "ping", "get_broker_info",
           "get_supported_brokers", "subscribe_orders", "unsubscribe_orders", "SUBSCRIBE", "", "drop_tables"]
FIELDS = ["action", "type", "apikey", "api_key", "symbol", "exchange", "symbols", "mode", "depth", "timestamp", "request_id"]


def junk(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 3, 2**63, -(2**70), 1.5, float("1e308")])
    if kind == 3:
        return "".join(rng.choice(string.printable + "\u00e9\u4e2d\U0001f600") for _ in range(rng.randrange(0, 40)))
    if kind == 4:
        return rng.choice(["NSE", "LTP", "quote", "Depth", "SBIN", "0" * 64, "NASDAQ"])
    if kind == 5:
        return rng.choice([1, 2, 3, 5, 20, 50])
    if kind == 6:
        return [junk(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    if kind == 7:
        return {rng.choice(FIELDS): junk(rng, depth + 1) for _ in range(rng.randrange(0, 5))}
    return {"symbol": junk(rng, depth + 1), "exchange": junk(rng, depth + 1)}


def frame(rng: random.Random) -> tuple[str | None, bytes | None]:
    kind = rng.randrange(10)
    if kind == 0:
        return None, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if kind == 1:
        return "".join(rng.choice(string.printable) for _ in range(rng.randrange(0, 80))), None
    if kind == 2:
        return "x" * rng.choice([70_000, 200_000]), None
    if kind == 3:
        n = rng.randrange(100, 5000)
        return "[" * n + "]" * n, None
    if kind == 4:
        return json.dumps(junk(rng)), None
    message = {k: junk(rng) for k in rng.sample(FIELDS, rng.randrange(0, 5))}
    message["action" if rng.random() < 0.8 else "type"] = rng.choice(ACTIONS) if rng.random() < 0.9 else junk(rng)
    return json.dumps(message), None


async def test_random_frames_get_answers_and_the_socket_stays_usable(platform_key, settings, caplog):
    settings.FEED_TICKS_PER_SECOND = 2
    caplog.set_level(logging.WARNING)
    rng = random.Random(20261122)
    communicator = WebsocketCommunicator(application, "/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"action": "authenticate", "apikey": platform_key})
    replies = errors = 0
    for i in range(3000):
        text, data = frame(rng)
        # send_input, not send_to: the latter refuses empty frames, which clients can send.
        if text is not None:
            await communicator.send_input({"type": "websocket.receive", "text": text})
        else:
            await communicator.send_input({"type": "websocket.receive", "bytes": data})
        if i % 100 == 99:
            await communicator.send_json_to({"action": "ping", "timestamp": i})
            while True:
                output = await communicator.receive_output(timeout=5)
                assert output["type"] == "websocket.send", output  # never closed
                message = json.loads(output["text"])
                if message.get("type") == "market_data":
                    continue
                replies += 1
                errors += message.get("status") == "error"
                if message.get("type") == "pong" and message.get("client_timestamp") == i:
                    break
    assert replies > 3000  # every frame was answered (plus the pings)
    assert errors > 1000
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    await communicator.send_json_to({"action": "authenticate", "apikey": platform_key})
    await communicator.disconnect()


# Raw JSON texts, so that what json.dumps would never write (1e999, -0, NaN) is sent too.
HOSTILE_VALUES = [
    "1e999", "-1e999", "NaN", "Infinity", "-Infinity", "-0", "-0.0", "1e-400", "0.5", "18446744073709551616",
    "-18446744073709551617", "9" * 4000, "true", "false", "null", '""', '"   "', json.dumps("x" * 20_000),
    '"\\ud800"', '"\\u0000"', "[]", "{}", "[1e999]", '{"symbol": 1e999, "exchange": -0}', "[" * 500 + "]" * 500,
    '[{"symbol": "SBIN", "exchange": "NSE"}, {"symbol": 1e999, "exchange": "NSE"}, {"symbol": "SBIN", "exchange": NaN}]',
    json.dumps([{"symbol": f"S{i}", "exchange": "NSE"} for i in range(1200)]),
]
FIELDS_OF = {
    "authenticate": ["apikey", "api_key"],
    "subscribe": ["symbol", "exchange", "symbols", "mode", "depth", "request_id"],
    "unsubscribe": ["symbol", "exchange", "symbols", "mode", "request_id"],
    "unsubscribe_all": ["request_id"],
    "ping": ["timestamp", "_pingId"],
    "get_broker_info": ["user_id"],
    "get_supported_brokers": ["broker"],
    "subscribe_orders": ["user_id"],
    "unsubscribe_orders": ["user_id"],
}
BASE = {"symbol": '"SBIN"', "exchange": '"NSE"', "mode": "3", "depth": "5"}


async def test_every_field_of_every_action_takes_hostile_values_and_the_socket_answers_and_stays_open(
    platform_key, settings, caplog
):
    settings.FEED_TICKS_PER_SECOND = 2
    settings.WS_MAX_MESSAGE_BYTES = 64 * 1024
    caplog.set_level(logging.WARNING)
    sockets = []
    for _ in range(3):  # every slot of the user in use: one leaked slot would show as 4429
        communicator = WebsocketCommunicator(application, "/")
        assert (await communicator.connect())[0]
        await communicator.send_json_to({"action": "authenticate", "apikey": platform_key})
        assert json.loads(await communicator.receive_from(timeout=5))["status"] == "success"
        sockets.append(communicator)
    communicator, sent = sockets[0], 0
    for action, fields in FIELDS_OF.items():
        for field in [*fields, "action"]:
            for value in HOSTILE_VALUES:
                members = {**BASE, field: value} if field != "action" else {**BASE}
                members.setdefault("action", json.dumps(action))
                if field == "action":
                    members["action"] = value
                text = "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in members.items()) + "}"
                await communicator.send_input({"type": "websocket.receive", "text": text})
                while True:
                    output = await communicator.receive_output(timeout=5)
                    assert output["type"] == "websocket.send", (text[:200], output)  # never closed
                    answer = json.loads(output["text"])  # valid JSON: no NaN, no Infinity
                    if answer.get("type") != "market_data":
                        break
                sent += 1
                assert answer.get("code") != "SERVER_ERROR", (text[:200], answer)
    assert sent > 600
    # The first socket was refused some authentications along the way (too many failures on
    # one socket): it still works with the right key, and so do the other two.
    for other in sockets:
        await other.send_json_to({"action": "ping", "timestamp": 1})
        while (answer := json.loads(await other.receive_from(timeout=5))).get("type") == "market_data":
            pass
        assert answer["type"] == "pong" and answer["client_timestamp"] == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    for other in sockets:
        await other.disconnect()
    # All three slots are free again.
    for _ in range(3):
        communicator = WebsocketCommunicator(application, "/")
        assert (await communicator.connect())[0]
        await communicator.send_json_to({"action": "authenticate", "apikey": platform_key})
        assert json.loads(await communicator.receive_from(timeout=5))["status"] == "success"
        await communicator.disconnect()
