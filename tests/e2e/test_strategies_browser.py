"""The /strategies/ page in a real browser against a live daphne: a user creates a webhook
strategy, sees its URL once, finds it masked in the list and shown again on request, and a
TradingView alert posted to that URL over HTTP places the mapped order; nothing on the
page trips the Content-Security-Policy."""
from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TIMEOUT = 15_000


def post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_create_show_use_and_delete_a_strategy(signed_in, keyward_server):
    page, account, errors = signed_in
    page.goto(f"{keyward_server.url}/strategies/")
    expect(page.locator("#no-strategies")).to_be_visible()

    page.fill("input[name=name]", "Browser breakout")
    page.select_option("select[name=trading_mode]", "LONG")
    page.fill("textarea[name=symbols]", "SBIN,NSE,7,MIS")
    page.click("#new-strategy button[type=submit]")

    url = page.locator("#tradingview-url").input_value(timeout=TIMEOUT)
    assert url.startswith(f"{keyward_server.url}/strategy/webhook/") and len(url.rsplit("/", 1)[1]) == 64
    webhook_id = url.rsplit("/", 1)[1]
    assert page.locator("#chartink-url").input_value() == f"{keyward_server.url}/chartink/webhook/{webhook_id}"

    page.goto(f"{keyward_server.url}/strategies/")  # the list: masked
    expect(page.locator("#strategies")).to_contain_text("Browser breakout")
    expect(page.locator("#strategies")).to_contain_text(f"****{webhook_id[-4:]}")
    assert webhook_id not in page.content()

    page.click("#strategies button:has-text('Show URLs')")
    expect(page.locator("#tradingview-url")).to_have_value(url, timeout=TIMEOUT)

    placed = post_json(url, {"symbol": "SBIN", "action": "BUY"})
    assert placed["status"] == "success" and placed["orderid"]
    book = post_json(f"{keyward_server.url}/api/v1/orderbook", {"apikey": account.api_key})
    assert [(o["orderid"], o["quantity"]) for o in book["data"]["orders"]] == [(placed["orderid"], "7")]

    page.goto(f"{keyward_server.url}/strategies/")
    page.click("#strategies button:has-text('Delete')")
    expect(page.locator("#no-strategies")).to_be_visible(timeout=TIMEOUT)
    assert errors == []
