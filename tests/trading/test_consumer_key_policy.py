"""What a platform key may do on the WebSocket: its scopes, expiry, allowlist and a roll's
grace, checked at sign-in and again whenever the key changes (trading/consumers.py)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from apikeys import scopes, services
from tests.trading.test_consumers import ask, connect, reply, ticks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SUBSCRIBE = {"action": "subscribe", "symbol": "INFY", "exchange": "NSE", "mode": 1}


@pytest.fixture(autouse=True)
def _fast_feed(settings):
    settings.FEED_TICKS_PER_SECOND = 20


def new_key(user, **settings):
    return services.key_create(user=user, name="stream", **settings)


async def signed_in(plaintext: str):
    communicator = await connect("/ws/")
    answer = await ask(communicator, {"action": "authenticate", "apikey": plaintext})
    return communicator, answer


async def test_a_key_without_read_market_cannot_subscribe(user):
    _, plaintext = await sync_to_async(new_key)(user, scopes=[scopes.READ_ACCOUNT, scopes.WRITE_ORDERS])
    communicator, answer = await signed_in(plaintext)
    assert answer["status"] == "success"  # signing in needs no scope
    refused = await ask(communicator, SUBSCRIBE)
    assert refused == {"status": "error", "code": "PERMISSION_DENIED",
                       "message": "This API key lacks the read:market scope"}
    orders = await ask(communicator, {"action": "subscribe_orders"})
    assert orders["status"] == "success"
    await communicator.disconnect()


async def test_a_key_without_read_account_gets_no_order_updates(user):
    _, plaintext = await sync_to_async(new_key)(user, scopes=[scopes.READ_MARKET])
    communicator, _ = await signed_in(plaintext)
    refused = await ask(communicator, {"action": "subscribe_orders"})
    assert refused["code"] == "PERMISSION_DENIED" and "read:account" in refused["message"]
    assert (await ask(communicator, SUBSCRIBE))["status"] == "success"
    await communicator.disconnect()


async def test_removing_read_market_stops_the_stream_of_an_open_socket(user):
    row, plaintext = await sync_to_async(new_key)(user)
    communicator, _ = await signed_in(plaintext)
    await ask(communicator, SUBSCRIBE)
    await ticks(communicator, 1)
    await sync_to_async(services.key_update)(key=row, changes={"scopes": [scopes.READ_ACCOUNT]})
    notice = await reply(communicator, timeout=3)
    assert notice["code"] == "PERMISSION_DENIED" and "read:market" in notice["message"]
    await asyncio.sleep(0.3)
    while not await communicator.receive_nothing(timeout=0.3):  # drain ticks already sent
        await communicator.receive_from()
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_an_expired_key_is_refused_saying_so(user):
    row, plaintext = await sync_to_async(new_key)(user)
    await sync_to_async(type(row).objects.filter(pk=row.pk).update)(expires_at=timezone.now() - timedelta(minutes=1))
    communicator, answer = await signed_in(plaintext)
    assert answer["status"] == "error" and answer["code"] == "KEY_REFUSED"
    assert answer["message"].startswith("This API key expired on ")
    await communicator.disconnect()


async def test_a_socket_is_closed_when_its_key_expires(user):
    _, plaintext = await sync_to_async(new_key)(user, expires_at=timezone.now() + timedelta(seconds=1))
    communicator, answer = await signed_in(plaintext)
    assert answer["status"] == "success"
    closing = await reply(communicator, timeout=4)
    assert closing["code"] == "KEY_REVOKED" and "expired" in closing["message"]
    assert (await communicator.receive_output(timeout=2))["code"] == 4403


async def test_a_socket_signed_in_with_a_rolled_out_secret_closes_when_the_grace_ends(user):
    row, old = await sync_to_async(new_key)(user)
    await sync_to_async(services.key_roll)(key=row, grace_seconds=1)
    communicator, answer = await signed_in(old)
    assert answer["status"] == "success"
    closing = await reply(communicator, timeout=4)
    assert closing["code"] == "KEY_REVOKED"
    assert (await communicator.receive_output(timeout=2))["code"] == 4403


async def test_an_allowlist_without_the_sockets_address_closes_it(user):
    row, plaintext = await sync_to_async(new_key)(user)
    communicator, answer = await signed_in(plaintext)
    assert answer["status"] == "success"
    await sync_to_async(services.key_update)(key=row, changes={"allowed_ips": ["203.0.113.0/24"]})
    closing = await reply(communicator, timeout=3)
    assert closing["code"] == "KEY_REVOKED" and "IP allowlist" in closing["message"]
    again, refused = await signed_in(plaintext)
    assert refused["code"] == "KEY_REFUSED" and "IP allowlist" in refused["message"]
    await again.disconnect()


async def test_a_socket_open_before_a_roll_with_grace_closes_when_the_grace_ends(user):
    row, plaintext = await sync_to_async(new_key)(user)
    communicator, answer = await signed_in(plaintext)
    assert answer["status"] == "success"
    await sync_to_async(services.key_roll)(key=row, grace_seconds=1)
    assert await communicator.receive_nothing(timeout=0.5)  # still open during the grace
    closing = await reply(communicator, timeout=4)
    assert closing["code"] == "KEY_REVOKED"
    assert (await communicator.receive_output(timeout=2))["code"] == 4403


async def test_an_expiry_set_on_an_open_sockets_key_closes_it_then(user):
    row, plaintext = await sync_to_async(new_key)(user)
    communicator, _ = await signed_in(plaintext)
    await sync_to_async(services.key_update)(key=row, changes={"expires_at": timezone.now() + timedelta(seconds=1)})
    assert await communicator.receive_nothing(timeout=0.5)
    closing = await reply(communicator, timeout=4)
    assert closing["code"] == "KEY_REVOKED" and "expired" in closing["message"]


async def test_a_key_change_that_cannot_be_checked_closes_the_socket_saying_so(user, monkeypatch):
    """Fail closed: the database cannot say what the changed key may do (the key lookup
    raising the database's own error stands in for a database that went away)."""
    from django.db import OperationalError

    from apikeys import key_lookup

    row, plaintext = await sync_to_async(new_key)(user)
    communicator, answer = await signed_in(plaintext)
    assert answer["status"] == "success"

    def database_gone(digest):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(key_lookup, "usable_key_by_digest", database_gone)
    await sync_to_async(services.key_update)(key=row, changes={"rate_limit": "5/s"})
    closing = await reply(communicator, timeout=3)
    assert closing["code"] == "SERVICE_UNAVAILABLE" and "sign in again" in closing["message"]
    assert (await communicator.receive_output(timeout=2))["code"] == 1013
