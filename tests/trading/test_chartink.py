"""ChartInk scans at /chartink/webhook/<id> on the same webhook strategies: the scan
name's BUY / SELL / SHORT / COVER acts on every mapped stock of the comma list, under the
strategy's key and its order mode."""
from __future__ import annotations

import json

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


@pytest.fixture
def strategy(user, platform_key):
    return webhooks.strategy_create(
        user=user, name="chartink_breakout", platform_key=PlatformApiKey.objects.get(user=user), symbols=[
            {"symbol": "SBIN", "exchange": "NSE", "quantity": 10, "product": "MIS"},
            {"symbol": "INFY", "exchange": "NSE", "quantity": 4, "product": "MIS"},
        ])


def scan(anon, strategy, scan_name, stocks="SBIN,INFY", **extra):
    body = {"stocks": stocks, "trigger_prices": "812.5,1500.1", "triggered_at": "2:34 pm", "scan_name": scan_name,
            "scan_url": "breakout", "alert_name": "Alert for breakout", **extra}
    return anon.post(f"/chartink/webhook/{strategy.webhook_id}", json.dumps(body), content_type="application/json")


def net(anon, key, symbol) -> str:
    return call(anon, "openposition", key, symbol=symbol, exchange="NSE", product="MIS").json()["quantity"]


def test_a_buy_scan_enters_every_mapped_stock_and_a_sell_scan_exits(anon, strategy, platform_key):
    bought = scan(anon, strategy, "Intraday Buy breakout")
    assert bought.status_code == 200
    body = bought.json()
    assert body["status"] == "success" and body["message"] == "Orders processed for symbols: SBIN, INFY"
    assert [(r["symbol"], r["status"]) for r in body["results"]] == [("SBIN", "success"), ("INFY", "success")]
    assert (net(anon, platform_key, "SBIN"), net(anon, platform_key, "INFY")) == ("10", "4")
    assert {o.strategy for o in Order.objects.all()} == {"chartink_breakout"}

    scan(anon, strategy, "Intraday SELL exit", stocks="SBIN")
    assert (net(anon, platform_key, "SBIN"), net(anon, platform_key, "INFY")) == ("0", "4")


def test_short_enters_short_and_cover_exits(anon, strategy, platform_key):
    scan(anon, strategy, "short on weakness", stocks="INFY")
    assert net(anon, platform_key, "INFY") == "-4"
    scan(anon, strategy, "Cover on strength", stocks="INFY")
    assert net(anon, platform_key, "INFY") == "0"


def test_keywords_are_looked_for_in_openalgos_order_buy_sell_short_cover(anon, strategy, platform_key):
    # As on OpenAlgo, so a scan behaves the same on both: "cover shorts" contains SHORT,
    # found before COVER, and enters short.
    scan(anon, strategy, "cover shorts", stocks="INFY")
    assert net(anon, platform_key, "INFY") == "-4"


def test_unmapped_stocks_are_skipped_and_named(anon, strategy, platform_key):
    body = scan(anon, strategy, "BUY", stocks="TCS, sbin ,SBIN").json()
    assert [r["symbol"] for r in body["results"]] == ["SBIN"] and body["skipped"] == ["TCS"]
    assert Order.objects.count() == 1
    nothing = scan(anon, strategy, "BUY", stocks="TCS").json()
    assert nothing["status"] == "warning" and nothing["skipped"] == ["TCS"]
    assert Order.objects.count() == 1


def test_in_semi_auto_each_stock_is_queued(anon, user, strategy):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    body = scan(anon, strategy, "BUY").json()
    assert [r["mode"] for r in body["results"]] == ["semi_auto", "semi_auto"]
    assert PendingOrder.objects.count() == 2 and not Order.objects.exists()


def test_an_inactive_strategy_answers_success_and_places_nothing(anon, strategy):
    strategy.is_active = False
    strategy.save()
    assert scan(anon, strategy, "BUY").json() == {"status": "success", "message": "Strategy is inactive"}
    assert not Order.objects.exists()


@pytest.mark.parametrize(("fields", "message"), [
    ({"scan_name": "Breakout"}, "No valid action keyword (BUY/SELL/SHORT/COVER) found in scan name"),
    ({"scan_name": "BUY", "stocks": " , "}, "No symbols received"),
    ({"scan_name": "BUY", "stocks": ["SBIN"]}, "scan_name and stocks must be strings (stocks comma-separated)"),
    ({"scan_name": None, "stocks": "SBIN"}, "scan_name and stocks must be strings (stocks comma-separated)"),
])
def test_bad_scans_are_a_400_in_openalgos_shape(anon, strategy, fields, message):
    body = {"stocks": "SBIN", **fields}
    response = anon.post(f"/chartink/webhook/{strategy.webhook_id}", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": message}
    assert not Order.objects.exists()


def test_a_strategy_without_mappings_is_a_400(anon, user):
    bare = webhooks.strategy_create(user=user, name="bare")
    response = anon.post(f"/chartink/webhook/{bare.webhook_id}", {"scan_name": "BUY", "stocks": "SBIN"},
                         format="json")
    assert response.json() == {"status": "error", "message": "No symbol mappings configured"}


@pytest.mark.parametrize("webhook_id", ["0" * 64, "nope"])
def test_an_unknown_id_is_a_json_404(anon, webhook_id):
    response = anon.post(f"/chartink/webhook/{webhook_id}", {"scan_name": "BUY", "stocks": "SBIN"}, format="json")
    assert response.status_code == 404 and response.json() == {"status": "error", "message": "Invalid webhook ID"}


@pytest.mark.parametrize("raw", ["[]", '"BUY"', "1", "{", "null"])
def test_a_body_that_is_not_an_object_is_a_400(anon, strategy, raw):
    response = anon.post(f"/chartink/webhook/{strategy.webhook_id}", raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["status"] == "error"


def test_a_scan_with_one_mapping_no_order_could_have_places_nothing(anon, strategy):
    strategy.symbols.create(symbol="ZZZZNOTLISTED", exchange="NSE", quantity=3, product="MIS")
    response = scan(anon, strategy, "breakout BUY", stocks="SBIN,ZZZZNOTLISTED,INFY")
    assert response.status_code == 400 and "ZZZZNOTLISTED" in response.json()["message"]
    assert not Order.objects.exists() and not PendingOrder.objects.exists()
