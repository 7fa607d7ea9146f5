"""The market-data WebSocket (trading/consumers.py) through Channels' communicator."""
from __future__ import annotations

import asyncio
import ipaddress
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from apikeys import services
from apikeys.models import PlatformApiKey
from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def _fast_feed(settings):
    # The channel layer stays as configured: in memory by default, Redis in CI's second
    # pass (REDIS_URL), so revocations and order events are proven over both.
    settings.FEED_TICKS_PER_SECOND = 20


async def connect(path: str = "/"):
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def ask(communicator, message, timeout: float = 3) -> dict:
    if isinstance(message, (dict, list)):
        await communicator.send_json_to(message)
    elif message == "":
        # send_to refuses an empty frame; a real client can still send one.
        await communicator.send_input({"type": "websocket.receive", "text": ""})
    else:
        await communicator.send_to(text_data=message)
    return await reply(communicator, timeout)


async def reply(communicator, timeout: float = 3, skip_ticks: bool = True) -> dict:
    while True:
        message = json.loads(await communicator.receive_from(timeout=timeout))
        if not (skip_ticks and message.get("type") == "market_data"):
            return message


async def ticks(communicator, count: int, timeout: float = 3) -> list[dict]:
    found = []
    while len(found) < count:
        message = json.loads(await communicator.receive_from(timeout=timeout))
        if message.get("type") == "market_data":
            found.append(message)
    return found


async def authed(platform_key: str, path: str = "/"):
    communicator = await connect(path)
    answer = await ask(communicator, {"action": "authenticate", "apikey": platform_key})
    assert answer["status"] == "success", answer
    return communicator


@pytest.mark.parametrize("path", ["/", "/ws/", "/ws"])
@pytest.mark.parametrize("field", ["apikey", "api_key"])
async def test_authenticate_with_either_field_on_either_path(platform_key, path, field):
    communicator = await connect(path)
    answer = await ask(communicator, {"action": "authenticate", field: platform_key})
    assert answer["type"] == "auth" and answer["status"] == "success"
    assert answer["message"] == "Authentication successful"
    assert answer["broker"] == "sandbox" and answer["user_id"] == "alice"
    await communicator.disconnect()


@pytest.mark.parametrize(
    "message,expected",
    [
        ({"action": "authenticate", "apikey": "0" * 64}, "Invalid openalgo apikey"),
        ({"action": "authenticate", "apikey": "short"}, "Invalid openalgo apikey"),
        ({"action": "authenticate"}, "API key is required"),
        ({"action": "authenticate", "apikey": 12345}, "API key is required"),
        ({"action": "authenticate", "apikey": ["x"]}, "API key is required"),
    ],
)
async def test_bad_authentication_is_an_error_and_the_socket_stays_usable(platform_key, message, expected):
    communicator = await connect()
    answer = await ask(communicator, message)
    assert answer["type"] == "auth" and answer["status"] == "error" and answer["message"] == expected
    assert (await ask(communicator, {"action": "ping"}))["type"] == "pong"
    assert (await ask(communicator, {"action": "authenticate", "apikey": platform_key}))["status"] == "success"
    await communicator.disconnect()


@pytest.mark.parametrize("action", ["subscribe", "unsubscribe", "unsubscribe_all", "get_broker_info", "subscribe_orders"])
async def test_actions_before_authentication_answer_not_authenticated(action):
    communicator = await connect()
    answer = await ask(communicator, {"action": action, "symbol": "SBIN", "exchange": "NSE"})
    assert answer == {"status": "error", "code": "NOT_AUTHENTICATED", "message": "You must authenticate first"}
    await communicator.disconnect()


async def test_ltp_subscription_streams_numbered_mode_ticks(platform_key):
    communicator = await authed(platform_key)
    answer = await ask(communicator, {"action": "subscribe", "symbol": "RELIANCE", "exchange": "NSE", "mode": 1})
    assert answer["type"] == "subscribe" and answer["status"] == "success"
    assert answer["subscriptions"] == [
        {"symbol": "RELIANCE", "exchange": "NSE", "status": "success", "mode": "LTP", "broker": "sandbox"}
    ]
    received = await ticks(communicator, 3)
    for tick in received:
        assert tick["symbol"] == "RELIANCE" and tick["exchange"] == "NSE" and tick["mode"] == 1
        assert set(tick["data"]) == {"ltp", "timestamp"}
        assert tick["data"]["ltp"] > 0 and tick["data"]["timestamp"] > 1_600_000_000_000
    assert received[0]["data"]["timestamp"] < received[-1]["data"]["timestamp"]
    await communicator.disconnect()


@pytest.mark.parametrize("mode", [2, "quote", "QUOTE", "Quote", "2"])
async def test_quote_mode_in_any_spelling_sends_full_quotes(platform_key, mode):
    communicator = await authed(platform_key)
    answer = await ask(communicator, {"action": "subscribe", "symbols": [{"symbol": "INFY", "exchange": "NSE"}], "mode": mode})
    assert answer["subscriptions"][0]["mode"] == "Quote"
    tick = (await ticks(communicator, 1))[0]
    assert tick["mode"] == 2
    assert set(tick["data"]) >= {"ltp", "timestamp", "open", "high", "low", "close", "volume", "change",
                                 "change_percent", "avg_trade_price", "last_trade_quantity"}
    assert tick["data"]["low"] <= tick["data"]["ltp"] <= tick["data"]["high"]
    await communicator.disconnect()


@pytest.mark.parametrize("levels", [5, 20, 30, 50])
async def test_depth_mode_sends_as_many_levels_as_asked(platform_key, levels):
    communicator = await authed(platform_key)
    answer = await ask(communicator, {"action": "subscribe", "symbol": "TCS", "exchange": "NSE", "mode": "Depth", "depth": levels})
    assert answer["subscriptions"][0]["depth"] == levels
    tick = (await ticks(communicator, 1))[0]
    assert tick["mode"] == 3
    book = tick["data"]["depth"]
    assert len(book["buy"]) == len(book["sell"]) == levels
    assert set(book["buy"][0]) == {"price", "quantity", "orders"}
    assert book["buy"][0]["price"] < book["sell"][0]["price"]
    await communicator.disconnect()


async def test_a_batch_with_bad_entries_is_partial(platform_key):
    communicator = await authed(platform_key)
    answer = await ask(communicator, {"action": "subscribe", "mode": "LTP", "symbols": [
        {"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "SBIN", "exchange": "NASDAQ"}, {"symbol": "", "exchange": "NSE"}, "SBIN",
    ]})
    assert answer["status"] == "partial"
    assert [s["status"] for s in answer["subscriptions"]] == ["success", "error", "error", "error"]
    await communicator.disconnect()


@pytest.mark.parametrize(
    "message,code",
    [
        ({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 4}, "INVALID_MODE"),
        ({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "candles"}, "INVALID_MODE"),
        ({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": True}, "INVALID_MODE"),
        ({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": None}, "INVALID_MODE"),
        ({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 3, "depth": 7}, "INVALID_PARAMETERS"),
        ({"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 3, "depth": "deep"}, "INVALID_PARAMETERS"),
        ({"action": "subscribe", "mode": 1}, "INVALID_PARAMETERS"),
        ({"action": "subscribe", "symbols": "SBIN", "mode": 1}, "INVALID_PARAMETERS"),
        ({"action": "unsubscribe"}, "INVALID_PARAMETERS"),
        ({"action": "unsubscribe", "symbol": "SBIN", "exchange": "NSE", "mode": "x"}, "INVALID_MODE"),
    ],
)
async def test_bad_subscriptions_get_error_codes(platform_key, message, code):
    communicator = await authed(platform_key)
    answer = await ask(communicator, message)
    assert answer["status"] == "error" and answer["code"] == code
    assert (await ask(communicator, {"action": "ping"}))["type"] == "pong"
    await communicator.disconnect()


async def test_unsubscribe_stops_that_symbol_and_unsubscribe_all_stops_everything(platform_key):
    communicator = await authed(platform_key)
    await ask(communicator, {"action": "subscribe", "mode": 1,
                             "symbols": [{"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "INFY", "exchange": "NSE"}]})
    assert {t["symbol"] for t in await ticks(communicator, 6)} == {"SBIN", "INFY"}
    answer = await ask(communicator, {"action": "unsubscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1})
    assert answer["type"] == "unsubscribe" and answer["status"] == "success"
    assert answer["successful"] == [{"symbol": "SBIN", "exchange": "NSE", "status": "success", "broker": "sandbox"}]
    unsubscribed_at = int(time.time() * 1000)
    later = [t for t in await ticks(communicator, 12) if t["data"]["timestamp"] > unsubscribed_at]
    assert len(later) >= 4 and {t["symbol"] for t in later} == {"INFY"}  # ticks built after it: INFY only
    answer = await ask(communicator, {"action": "unsubscribe_all"})
    assert answer["status"] == "success" and [s["symbol"] for s in answer["successful"]] == ["INFY"]
    await asyncio.sleep(0.15)
    while not await communicator.receive_nothing(timeout=0.05):
        await communicator.receive_from()
    assert await communicator.receive_nothing(timeout=0.3)
    not_subscribed = await ask(communicator, {"action": "unsubscribe", "symbol": "SBIN", "exchange": "NSE"})
    assert not_subscribed["status"] == "error" and not_subscribed["failed"][0]["message"] == "Not subscribed"
    await communicator.disconnect()


async def test_ping_echoes_the_client_timestamp(platform_key):
    communicator = await connect()
    answer = await ask(communicator, {"action": "ping", "timestamp": 1234})
    assert answer["type"] == "pong" and answer["status"] == "success"
    assert answer["client_timestamp"] == 1234 and answer["server_timestamp"] > 1_600_000_000_000
    await communicator.disconnect()


async def test_broker_info_and_supported_brokers(platform_key):
    communicator = await connect()
    assert await ask(communicator, {"action": "get_supported_brokers"}) == {
        "type": "supported_brokers", "status": "success", "brokers": ["sandbox"], "count": 1,
    }
    await ask(communicator, {"action": "authenticate", "apikey": platform_key})
    info = await ask(communicator, {"type": "get_broker_info"})
    assert info["type"] == "broker_info" and info["broker"] == "sandbox" and info["user_id"] == "alice"
    await communicator.disconnect()


@pytest.mark.parametrize(
    "frame,code",
    [
        ("{not json", "INVALID_JSON"),
        ("", "INVALID_JSON"),
        ("[1, 2]", "INVALID_JSON"),
        ('"authenticate"', "INVALID_JSON"),
        ("null", "INVALID_JSON"),
        ("[" * 100_000 + "]" * 100_000, "MESSAGE_TOO_LARGE"),
        ('{"action": "launch_rockets"}', "INVALID_ACTION"),
        ('{"action": 7}', "INVALID_ACTION"),
        ('{"symbol": "SBIN"}', "INVALID_ACTION"),
        ('{"action": ["subscribe"]}', "INVALID_ACTION"),
    ],
)
async def test_malformed_frames_get_errors_and_the_socket_stays_open(frame, code):
    communicator = await connect()
    answer = await ask(communicator, frame)
    assert answer["status"] == "error" and answer["code"] == code
    assert (await ask(communicator, {"action": "ping"}))["type"] == "pong"
    await communicator.disconnect()


async def test_deeply_nested_json_within_the_size_limit_is_invalid_json(settings):
    settings.WS_MAX_MESSAGE_BYTES = 1_000_000
    communicator = await connect()
    answer = await ask(communicator, "[" * 200_000 + "]" * 200_000)
    assert answer["code"] == "INVALID_JSON"
    assert (await ask(communicator, {"action": "ping"}))["type"] == "pong"
    await communicator.disconnect()


async def test_binary_frames_are_refused_politely():
    communicator = await connect()
    await communicator.send_to(bytes_data=b"\x00\x01binary")
    answer = await reply(communicator)
    assert answer["code"] == "INVALID_JSON" and "Binary" in answer["message"]
    await communicator.disconnect()


async def test_symbols_per_connection_limit(platform_key, settings):
    settings.WS_MAX_SYMBOLS_PER_CONNECTION = 3
    communicator = await authed(platform_key)
    names = ["SBIN", "INFY", "TCS", "ITC"]
    answer = await ask(communicator, {"action": "subscribe", "mode": 1, "symbols": [{"symbol": n, "exchange": "NSE"} for n in names[:2]]})
    assert answer["status"] == "success"
    answer = await ask(communicator, {"action": "subscribe", "mode": 1, "symbols": [{"symbol": n, "exchange": "NSE"} for n in names[2:]]})
    assert answer["status"] == "partial"
    assert answer["subscriptions"][1]["message"].startswith("Symbol limit reached")
    # Another mode of an already-subscribed symbol does not count as a new symbol.
    answer = await ask(communicator, {"action": "subscribe", "mode": 2, "symbol": "SBIN", "exchange": "NSE"})
    assert answer["status"] == "success"
    too_many = await ask(communicator, {"action": "subscribe", "mode": 1,
                                        "symbols": [{"symbol": n, "exchange": "NSE"} for n in ("WIPRO", "LT", "NTPC", "ONGC")]})
    assert too_many["code"] == "SYMBOL_LIMIT"
    await communicator.disconnect()


async def test_connections_per_user_limit_closes_the_extra_one(platform_key, settings):
    settings.WS_MAX_CONNECTIONS_PER_USER = 2
    first, second = await authed(platform_key), await authed(platform_key)
    third = await connect()
    answer = await ask(third, {"action": "authenticate", "apikey": platform_key})
    assert answer["status"] == "error" and answer["code"] == "CONNECTION_LIMIT"
    assert (await third.receive_output(timeout=2))["type"] == "websocket.close"
    await first.disconnect()
    fourth = await authed(platform_key)  # a freed slot can be used again
    for communicator in (second, fourth):
        await communicator.disconnect()


async def test_unauthenticated_sockets_are_closed_after_the_grace_period(settings):
    settings.WS_AUTH_GRACE_SECONDS = 0.2
    communicator = await connect()
    closed = await communicator.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 4401}


async def test_authenticated_sockets_outlive_the_grace_period(platform_key, settings):
    settings.WS_AUTH_GRACE_SECONDS = 0.2
    communicator = await authed(platform_key)
    await asyncio.sleep(0.4)
    assert (await ask(communicator, {"action": "ping"}))["type"] == "pong"
    await communicator.disconnect()


@pytest.mark.parametrize("change", ["regenerate", "revoke"])
async def test_key_change_closes_that_keys_sockets_only(platform_key, user, other_user, change):
    _, other_key = await sync_to_async(services.platform_key_regenerate)(user=other_user)
    mine, theirs = await authed(platform_key), await authed(other_key)
    await ask(mine, {"action": "subscribe", "symbol": "SBIN", "exchange": "NSE", "mode": 1})
    action = services.platform_key_regenerate if change == "regenerate" else services.platform_key_revoke
    await sync_to_async(action)(user=user)
    notice = await reply(mine, timeout=1)
    assert notice == {"type": "auth", "status": "error", "code": "KEY_REVOKED", "message": "API key was revoked or regenerated"}
    while True:
        output = await mine.receive_output(timeout=1)
        if output["type"] == "websocket.close":
            assert output["code"] == 4403
            break
    assert (await ask(theirs, {"action": "ping"}))["type"] == "pong"
    await theirs.disconnect()


@pytest.mark.parametrize("change", ["deactivate", "delete the key row"])
async def test_other_changes_reach_sockets_through_the_eviction_feed(platform_key, user, settings, change):
    # No apikey.revoked message is sent for these: the eviction of the user's keys makes
    # the sockets check theirs again.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    mine = await authed(platform_key)

    def act() -> None:
        if change == "deactivate":
            user.is_active = False
            user.save()
        else:
            PlatformApiKey.objects.filter(user=user).delete()

    await sync_to_async(act)()
    assert (await reply(mine, timeout=2))["code"] == "KEY_REVOKED"
    while (output := await mine.receive_output(timeout=2))["type"] != "websocket.close":
        pass
    assert output["code"] == 4403


async def test_a_socket_opened_with_the_new_key_survives_the_regeneration_notice(user, platform_key):
    _, new_key = await sync_to_async(services.platform_key_regenerate)(user=user)
    communicator = await authed(new_key)
    await asyncio.sleep(0.2)  # the regeneration's notice has been delivered by now
    assert (await ask(communicator, {"action": "ping"}))["type"] == "pong"
    await communicator.disconnect()


async def test_the_plaintext_key_is_never_echoed(platform_key):
    communicator = await connect()
    for message in ({"action": "authenticate", "apikey": platform_key[:-1] + "0"}, {"action": platform_key}):
        answer = await ask(communicator, message)
        assert platform_key[:12] not in json.dumps(answer)
    await communicator.disconnect()


async def test_subscribe_orders_streams_this_users_order_events_until_unsubscribed(platform_key, other_user):
    from rest_framework.test import APIClient

    from .support import place

    _, other_key = await sync_to_async(services.platform_key_regenerate)(user=other_user)
    mine, theirs = await authed(platform_key), await authed(other_key)
    for communicator in (mine, theirs):
        answer = await ask(communicator, {"action": "subscribe_orders"})
        assert answer == {"type": "subscribe_orders", "status": "success", "message": "Order updates on"}

    placed = await sync_to_async(lambda: place(APIClient(), platform_key).json())()
    events = [await reply(mine), await reply(mine)]
    assert [(e["type"], e["event"]) for e in events] == [("order_update", "placed"), ("order_update", "filled")]
    assert events[1]["orderid"] == placed["orderid"] and events[1]["order_status"] == "complete"
    assert platform_key not in json.dumps(events)
    assert await theirs.receive_nothing(timeout=0.3)  # another user's socket hears nothing

    assert (await ask(mine, {"action": "unsubscribe_orders"}))["message"] == "Order updates off"
    await sync_to_async(lambda: place(APIClient(), platform_key))()
    assert await mine.receive_nothing(timeout=0.3)
    for communicator in (mine, theirs):
        await communicator.disconnect()


async def test_semi_auto_orders_stream_as_pending_updates(user, platform_key):
    from rest_framework.test import APIClient

    from .support import place

    await sync_to_async(services.platform_key_set_mode)(user=user, mode="semi_auto")
    communicator = await authed(platform_key)
    await ask(communicator, {"action": "subscribe_orders"})
    queued = await sync_to_async(lambda: place(APIClient(), platform_key).json())()
    event = await reply(communicator)
    assert event["type"] == "pending_order_update" and event["event"] == "queued"
    assert event["pending_order_id"] == queued["pending_order_id"]
    await communicator.disconnect()


async def test_key_guessing_on_one_socket_stops_after_five_failures(platform_key):
    communicator = await connect()
    for _ in range(5):
        answer = await ask(communicator, {"action": "authenticate", "apikey": "0" * 64})
        assert answer["message"] == "Invalid openalgo apikey"
    refused = await ask(communicator, {"action": "authenticate", "apikey": platform_key})
    assert refused["status"] == "error" and refused["code"] == "RATE_LIMITED"  # even the right key, now
    assert (await ask(communicator, {"action": "ping"}))["type"] == "pong"  # the socket stays usable
    fresh = await authed(platform_key)  # a new connection may try again
    for c in (communicator, fresh):
        await c.disconnect()


async def test_bad_keys_over_websocket_and_http_share_one_per_address_limit(platform_key, settings):
    from rest_framework.test import APIClient

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "invalid_apikey": "3/min"}}

    async def socket_from_localhost():
        communicator = WebsocketCommunicator(application, "/")
        communicator.scope["client"] = ("127.0.0.1", 40000)  # what APIClient's requests come from
        assert (await communicator.connect())[0]
        return communicator

    first = await socket_from_localhost()
    for _ in range(2):
        assert (await ask(first, {"action": "authenticate", "apikey": "1" * 64}))["code"] == "AUTHENTICATION_ERROR"
    http = await sync_to_async(lambda: APIClient().post("/api/v1/ping", {"apikey": "2" * 64}, format="json"))()
    assert http.status_code == 403  # the third bad key, over HTTP
    second = await socket_from_localhost()  # a new socket does not reset the count
    answer = await ask(second, {"action": "authenticate", "apikey": platform_key})
    assert answer["code"] == "RATE_LIMITED" and answer["message"] == "Too many invalid API keys from this address"
    http = await sync_to_async(lambda: APIClient().post("/api/v1/ping", {"apikey": platform_key}, format="json"))()
    assert http.status_code == 429
    for communicator in (first, second):
        await communicator.disconnect()


async def test_from_a_shared_source_past_the_limit_a_good_key_still_authenticates(platform_key, settings):
    """INVALID_APIKEY_SHARED_SOURCES holds over WebSocket as over HTTP: bad keys from a
    shared address still get RATE_LIMITED, a good one passes."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "invalid_apikey": "2/min"}}
    settings.INVALID_APIKEY_SHARED_SOURCES = (ipaddress.ip_network("52.89.214.0/24"),)

    async def socket_from(address: str):
        communicator = WebsocketCommunicator(application, "/")
        communicator.scope["client"] = (address, 40000)
        assert (await communicator.connect())[0]
        return communicator

    shared, other = await socket_from("52.89.214.238"), await socket_from("203.0.113.5")
    for communicator in (shared, other):
        for digit in "123":
            await ask(communicator, {"action": "authenticate", "apikey": digit * 64})
        refused = await ask(communicator, {"action": "authenticate", "apikey": "4" * 64})
        assert refused["code"] == "RATE_LIMITED"
    assert (await ask(shared, {"action": "authenticate", "apikey": platform_key}))["status"] == "success"
    assert (await ask(other, {"action": "authenticate", "apikey": platform_key}))["code"] == "RATE_LIMITED"
    for communicator in (shared, other):
        await communicator.disconnect()


@pytest.mark.parametrize("timestamp", ["NaN", "Infinity", "1e999", "-1e999"])
async def test_a_ping_with_a_non_finite_timestamp_gets_valid_json(timestamp):
    communicator = await connect()
    await communicator.send_to(text_data=f'{{"action": "ping", "timestamp": {timestamp}}}')
    answer = json.loads(await communicator.receive_from(timeout=3), parse_constant=lambda name: pytest.fail(f"{name} sent"))
    # NaN and Infinity are not JSON; 1e999 is, but beyond any float: refused alike, so what
    # is read can always be echoed.
    assert answer["code"] == "INVALID_JSON"
    assert (await ask(communicator, {"action": "ping", "timestamp": 5}))["client_timestamp"] == 5
    await communicator.disconnect()


async def test_authentication_trims_whitespace_around_the_key_as_http_does(platform_key):
    communicator = await connect()
    answer = await ask(communicator, {"action": "authenticate", "apikey": f"  {platform_key}\n"})
    assert answer["status"] == "success"
    await communicator.disconnect()


async def test_a_revoke_during_authentication_never_leaves_a_live_socket(user, settings):
    # Argon2 at a cost where verifying takes tens of milliseconds, so the revoke lands
    # while the key is being checked, before or after the socket joins its group.
    settings.ARGON2_TIME_COST, settings.ARGON2_MEMORY_COST = 2, 32 * 1024
    outcomes = {"refused": 0, "closed": 0}
    for attempt in range(50):
        _, key = await sync_to_async(services.platform_key_regenerate)(user=user)
        communicator = await connect()
        await communicator.send_json_to({"action": "authenticate", "apikey": key})
        await asyncio.sleep(0.03 if attempt % 2 else 0.03 * (attempt % 5) / 4)
        await sync_to_async(services.platform_key_revoke)(user=user)
        answer = await reply(communicator, timeout=5)
        if answer["status"] == "error":
            outcomes["refused"] += 1
            assert (await ask(communicator, {"action": "subscribe_orders"}))["code"] == "NOT_AUTHENTICATED"
            await communicator.disconnect()
            continue
        # Authenticated just before the revoke committed: the revocation must still close it.
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.send":
            assert json.loads(output["text"])["code"] == "KEY_REVOKED"
            output = await communicator.receive_output(timeout=2)
        assert output == {"type": "websocket.close", "code": 4403}
        outcomes["closed"] += 1
        await communicator.disconnect()
    assert sum(outcomes.values()) == 50


async def test_the_stream_accepts_every_exchange_and_symbol_the_rest_api_quotes(platform_key, anon):
    # One instruments module (trading/instruments.py) and one instrument master for both transports.
    from trading import instrument_master, instruments

    listed = {}
    for row in instrument_master.master().listings:
        listed.setdefault(row.exchange, row.symbol)
    assert set(listed) == set(instruments.EXCHANGES) - {"BCD", "MCX_INDEX"}
    communicator = await authed(platform_key)
    symbols = [{"symbol": f" {symbol.lower()} ", "exchange": exchange.lower()} for exchange, symbol in listed.items()]
    answer = await ask(communicator, {"action": "subscribe", "symbols": symbols, "mode": 1})
    assert answer["status"] == "success", answer
    assert {(s["exchange"], s["symbol"]) for s in answer["subscriptions"]} == {(e, s) for e, s in listed.items()}
    for exchange, symbol in listed.items():
        quote = await sync_to_async(anon.post)(
            "/api/v1/quotes", {"apikey": platform_key, "symbol": f" {symbol.lower()} ", "exchange": exchange.lower()},
            format="json",
        )
        assert quote.status_code == 200, (exchange, quote.content)
    await communicator.disconnect()


async def test_the_stream_refuses_a_symbol_the_master_does_not_list(platform_key):
    communicator = await authed(platform_key)
    answer = await ask(communicator, {"action": "subscribe", "mode": 1, "symbols": [
        {"symbol": "SBIN", "exchange": "NSE"}, {"symbol": "TYPOSYMBL", "exchange": "NSE"},
        {"symbol": "NIFTY01JAN20FUT", "exchange": "NFO"}]})
    assert answer["status"] == "partial"
    assert [(s["symbol"], s["status"], s.get("message")) for s in answer["subscriptions"]] == [
        ("SBIN", "success", None), ("TYPOSYMBL", "error", "Symbol TYPOSYMBL not found on NSE"),
        ("NIFTY01JAN20FUT", "error", "Symbol NIFTY01JAN20FUT not found on NFO")]
    await communicator.disconnect()


async def test_the_stream_quotes_listed_futures_and_options_from_their_underlying(platform_key):
    from trading import instrument_master, market

    master = instrument_master.master()
    future = instrument_master.front_futures(instrument_master.today())[0]
    expiry = master.expiries[("NFO", "NIFTY", "OPT")][0]
    strikes = master.chains[("NFO", "NIFTY", expiry)]
    option = instrument_master.option_symbol("NIFTY", expiry, strikes[len(strikes) // 2], "PE")
    communicator = await authed(platform_key)
    answer = await ask(communicator, {"action": "subscribe", "mode": 2, "symbols": [
        {"symbol": future.symbol, "exchange": future.exchange}, {"symbol": option, "exchange": "NFO"}]})
    assert answer["status"] == "success", answer
    seen = {}
    while len(seen) < 2:
        for tick in await ticks(communicator, 1):
            seen[tick["symbol"]] = tick
    for symbol, tick in seen.items():
        exchange = tick["exchange"]
        assert tick["data"]["ltp"] == market.snapshot(symbol, exchange, at_ms=tick["data"]["timestamp"]).ltp
        assert tick["data"]["ltp"] > 0
    await communicator.disconnect()
