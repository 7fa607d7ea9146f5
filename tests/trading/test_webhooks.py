"""Webhook strategies: POST /strategy/webhook/<id> turns TradingView-style alerts into
orders under the strategy's key and its order mode, by OpenAlgo's trading-mode rules."""
from __future__ import annotations

import pytest

from apikeys import services
from apikeys.models import PlatformApiKey
from trading import webhooks
from trading.models import Order, PendingOrder

from .support import call, fast_password_hashing, freeze_market  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_market(monkeypatch, settings):
    settings.MARKET_SEED = 42
    freeze_market(monkeypatch, 1_790_000_000.0)


def make_strategy(user, mode="LONG", key=True, **fields):
    strategy = webhooks.strategy_create(
        user=user, name="TV", trading_mode=mode,
        platform_key=PlatformApiKey.objects.filter(user=user).first() if key else None, **fields)
    strategy.symbols.create(symbol="SBIN", exchange="NSE", quantity=10, product="MIS")
    return strategy


def alert(anon, strategy, **body):
    # TradingView posts text/plain
    import json

    return anon.post(f"/strategy/webhook/{strategy.webhook_id}", json.dumps(body), content_type="text/plain")


def net(anon, key) -> str:
    return call(anon, "openposition", key, symbol="SBIN", exchange="NSE", product="MIS").json()["quantity"]


def test_long_mode_buy_enters_with_the_mapped_quantity_and_sell_exits(anon, user, platform_key):
    strategy = make_strategy(user)
    entered = alert(anon, strategy, symbol="SBIN", action="BUY")
    assert entered.status_code == 200 and entered.json()["status"] == "success" and entered.json()["orderid"]
    assert net(anon, platform_key) == "10"
    assert alert(anon, strategy, symbol="sbin", action="sell").status_code == 200
    assert net(anon, platform_key) == "0"
    assert Order.objects.get(orderid=entered.json()["orderid"]).strategy == "TV"


def test_both_mode_goes_to_position_size(anon, user, platform_key):
    strategy = make_strategy(user, mode="BOTH")
    alert(anon, strategy, symbol="SBIN", action="SELL", position_size="-10")
    assert net(anon, platform_key) == "-10"
    alert(anon, strategy, symbol="SBIN", action="BUY", position_size="10")
    assert net(anon, platform_key) == "10"
    refused = alert(anon, strategy, symbol="SBIN", action="BUY", position_size="-5")
    assert (refused.status_code, refused.json()["message"]) == (
        400, "For BUY orders in BOTH mode, position_size must be >= 0")
    missing = alert(anon, strategy, symbol="SBIN", action="BUY")
    assert missing.json()["message"] == "Missing required fields: position_size"


def test_the_strategys_key_in_semi_auto_queues_and_no_key_queues(anon, user, platform_key):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    queued = alert(anon, make_strategy(user), symbol="SBIN", action="BUY").json()
    assert queued["mode"] == "semi_auto" and PendingOrder.objects.get().api_type == "placeorder"
    services.platform_key_set_mode(user=user, mode="auto")
    keyless = webhooks.strategy_create(user=user, name="no key")
    keyless.symbols.create(symbol="SBIN", exchange="NSE", quantity=1)
    assert alert(anon, keyless, symbol="SBIN", action="BUY").json()["mode"] == "semi_auto"
    assert not Order.objects.exists()


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"symbol": "TCS", "action": "BUY"}, 400, "No mapping found for symbol TCS"),
    ({"symbol": "SBIN", "action": "HOLD"}, 400, "Invalid action. Use BUY or SELL"),
    ({"action": "BUY"}, 400, "Missing required fields: symbol"),
])
def test_bad_alerts_answer_clear_4xx(anon, user, platform_key, body, status, message):
    response = alert(anon, make_strategy(user), **body)
    assert (response.status_code, response.json()) == (status, {"status": "error", "message": message})


def test_unknown_inactive_and_bad_json(anon, user, platform_key):
    unknown = anon.post("/strategy/webhook/" + "0" * 64, {"symbol": "SBIN", "action": "BUY"}, format="json")
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Invalid webhook ID")
    strategy = make_strategy(user, is_active=False)
    assert alert(anon, strategy, symbol="SBIN", action="BUY").json()["message"] == "Strategy is inactive"
    bad = anon.post(f"/strategy/webhook/{strategy.webhook_id}", "{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["status"] == "error"
    assert anon.get(f"/strategy/webhook/{strategy.webhook_id}").status_code == 405


@pytest.mark.parametrize("position_size", [10**20, "100000000000000000000", 50_000_000])
@pytest.mark.parametrize("mode", ["LONG", "BOTH"])
def test_an_alert_is_checked_as_the_same_order_sent_to_the_api(anon, user, platform_key, mode, position_size):
    response = alert(anon, make_strategy(user, mode=mode), symbol="SBIN", action="BUY", position_size=position_size)
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert not Order.objects.exists() and not PendingOrder.objects.exists()


@pytest.mark.parametrize(("symbol", "quantity", "message"), [
    ("ZZZZNOTLISTED", 5, "ZZZZNOTLISTED"),  # a mapping the market does not list
    ("SBIN", 0, "Quantity must be a positive number."),  # the admin's inline lets 0 through
])
def test_a_mapping_no_order_could_have_is_refused(anon, user, platform_key, symbol, quantity, message):
    strategy = webhooks.strategy_create(user=user, name="TV", trading_mode="LONG",
                                        platform_key=PlatformApiKey.objects.get(user=user))
    strategy.symbols.create(symbol=symbol, exchange="NSE", quantity=quantity, product="MIS")
    response = alert(anon, strategy, symbol=symbol, action="BUY")
    assert response.status_code == 400 and message in response.json()["message"]
    assert not Order.objects.exists()


def test_a_revoked_or_expired_key_queues_instead_of_executing(anon, user, platform_key):
    strategy = make_strategy(user)
    key = PlatformApiKey.objects.get(user=user)
    services.key_revoke(key=key)
    assert alert(anon, strategy, symbol="SBIN", action="BUY").json()["mode"] == "semi_auto"
    PlatformApiKey.objects.filter(pk=key.pk).update(lookup_digest="x" * 64, expires_at="2000-01-01T00:00:00Z")
    assert alert(anon, strategy, symbol="SBIN", action="BUY").json()["mode"] == "semi_auto"
    assert not Order.objects.exists() and PendingOrder.objects.count() == 2
