"""The /strategies/ page: a user lists, creates, pauses and deletes their webhook
strategies; the webhook URL is a credential, shown in full only to its owner on request
(or once, on creation), never in the list, never to another user, never cached."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from apikeys.models import PlatformApiKey
from trading import webhooks
from trading.models import Order, Strategy

from .support import fast_password_hashing, freeze_market  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_market(monkeypatch, settings):
    settings.MARKET_SEED = 42
    freeze_market(monkeypatch, 1_790_000_000.0)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(client, **fields):
    form = {"name": "Breakout", "trading_mode": "LONG", "symbols": "SBIN,NSE,10,MIS\ninfy, nse, 5", **fields}
    return client.post("/strategies/", form)


def test_the_page_needs_a_login(anon):
    response = Client().get("/strategies/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_creating_a_strategy_saves_its_mappings_and_shows_its_urls_once(user, platform_key):
    client = browser(user)
    key = PlatformApiKey.objects.get(user=user)
    response = create(client, platform_key=str(key.pk))
    assert response.status_code == 200
    strategy = Strategy.objects.get(user=user)
    assert (strategy.name, strategy.trading_mode, strategy.platform_key_id) == ("Breakout", "LONG", key.pk)
    assert sorted((m.symbol, m.exchange, m.quantity, m.product) for m in strategy.symbols.all()) == [
        ("INFY", "NSE", 5, "MIS"), ("SBIN", "NSE", 10, "MIS")]
    page = response.content.decode()
    assert f"http://testserver/strategy/webhook/{strategy.webhook_id}" in page
    assert f"http://testserver/chartink/webhook/{strategy.webhook_id}" in page
    assert "no-store" in response["Cache-Control"]

    listed = client.get("/strategies/")
    assert strategy.webhook_id not in listed.content.decode()
    assert f"****{strategy.webhook_id[-4:]}" in listed.content.decode()
    assert "Breakout" in listed.content.decode()


def test_the_owner_can_show_the_urls_again_and_they_work(user, platform_key, anon):
    client = browser(user)
    create(client, platform_key=str(PlatformApiKey.objects.get(user=user).pk))
    strategy = Strategy.objects.get()
    shown = client.post(f"/strategies/{strategy.pk}/webhook/")
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    url = f"/strategy/webhook/{strategy.webhook_id}"
    assert f"http://testserver{url}" in shown.content.decode()
    placed = anon.post(url, json.dumps({"symbol": "SBIN", "action": "BUY"}), content_type="text/plain")
    assert placed.status_code == 200 and Order.objects.get().quantity == 10


def test_showing_needs_a_post_with_csrf(user):
    strategy = webhooks.strategy_create(user=user, name="S")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(f"/strategies/{strategy.pk}/webhook/").status_code == 405
    refused = client.post(f"/strategies/{strategy.pk}/webhook/")
    assert refused.status_code == 403 and strategy.webhook_id not in refused.content.decode()


def test_another_users_strategy_is_a_404_for_show_pause_and_delete(user, other_user):
    theirs = webhooks.strategy_create(user=other_user, name="Theirs")
    client = browser(user)
    for action in ("webhook", "toggle", "delete"):
        response = client.post(f"/strategies/{theirs.pk}/{action}/")
        assert response.status_code == 404
        assert theirs.webhook_id not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.is_active
    assert "Theirs" not in client.get("/strategies/").content.decode()


def test_pause_resume_and_delete(user, anon):
    strategy = webhooks.strategy_create(user=user, name="S", symbols=[
        {"symbol": "SBIN", "exchange": "NSE", "quantity": 1, "product": "MIS"}])
    client = browser(user)
    assert client.post(f"/strategies/{strategy.pk}/toggle/").status_code == 302
    strategy.refresh_from_db()
    assert not strategy.is_active
    paused = anon.post(f"/strategy/webhook/{strategy.webhook_id}", {"symbol": "SBIN", "action": "BUY"},
                       format="json")
    assert paused.json() == {"status": "error", "message": "Strategy is inactive"}
    client.post(f"/strategies/{strategy.pk}/toggle/")
    strategy.refresh_from_db()
    assert strategy.is_active

    assert client.post(f"/strategies/{strategy.pk}/delete/").status_code == 302
    assert not Strategy.objects.exists()
    gone = anon.post(f"/strategy/webhook/{strategy.webhook_id}", {"symbol": "SBIN", "action": "BUY"}, format="json")
    assert gone.status_code == 404


@pytest.mark.parametrize(("symbols", "message"), [
    ("SBIN", "Line 1: write SYMBOL,EXCHANGE,QUANTITY[,PRODUCT]."),
    ("SBIN,NYSE,10", "Line 1: exchange must be one of NSE, BSE, NFO, BFO, CDS, MCX."),
    ("SBIN,NSE,0", "Line 1: quantity must be a whole number from 1."),
    ("SBIN,NSE,²", "Line 1: quantity must be a whole number from 1."),
    ("SBIN,NSE," + "9" * 5000, "Line 1: quantity must be a whole number from 1."),
    ("ZZZZNOTLISTED,NSE,1", "Line 1: ZZZZNOTLISTED is not listed on NSE."),
    ("SBIN,NSE,10,XYZ", "Line 1: product must be MIS, CNC or NRML."),
    ("SBIN,NSE,1\nSBIN,NSE,2", "Line 2: SBIN is mapped twice."),
    ("DROP TABLE;,NSE,1", "Line 1: symbol is not a valid symbol."),
    ("  \n ", "This field is required."),
])
def test_bad_mappings_are_refused_with_the_line_named_and_nothing_is_saved(user, symbols, message):
    response = create(browser(user), symbols=symbols)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Strategy.objects.exists()


def test_only_my_own_key_can_be_chosen(user, other_user, platform_key):
    from apikeys import services

    services.platform_key_regenerate(user=other_user)
    theirs = PlatformApiKey.objects.get(user=other_user)
    response = create(browser(user), platform_key=str(theirs.pk))
    assert response.status_code == 400 and not Strategy.objects.exists()


def test_a_name_is_used_once_per_user(user, other_user):
    webhooks.strategy_create(user=other_user, name="Breakout")
    client = browser(user)
    assert create(client).status_code == 200
    again = create(client)
    assert again.status_code == 400 and "You already have a strategy of this name." in again.content.decode()
    assert Strategy.objects.filter(user=user).count() == 1
