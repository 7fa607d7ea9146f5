"""The API key page and the error answers in a real browser (Debian's chromium) against
a live daphne: the key stays hidden until asked for, the webhook message included, and
a wrong address gets the site's own page (or JSON, under the API)."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

TIMEOUT = 15_000
MASK = "•" * 16


def webhook(page) -> dict:
    return json.loads(page.locator("#webhook-body").input_value())


def test_the_webhook_message_follows_show_and_hide_and_copies_the_real_key(signed_in, keyward_server, docs_screenshots):
    page, account, errors = signed_in
    page.goto(f"{keyward_server.url}/apikey/")
    expect(page.locator("#key-status")).to_contain_text("Key active", timeout=TIMEOUT)
    expect(page.locator("#api-key")).to_have_attribute("type", "password")
    assert webhook(page)["apikey"] == MASK  # hidden like the key field says
    assert account.api_key not in page.locator("#webhook-body").input_value()
    page.screenshot(path=str(docs_screenshots / "apikey-page.png"), full_page=True)

    page.click("#copy-webhook")  # while hidden: the copy still holds the real key
    expect(page.locator("#key-status")).to_contain_text("Webhook message copied")
    copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert copied["apikey"] == account.api_key and copied["strategy"] == "TradingView"

    page.click("#toggle-key")
    expect(page.locator("#toggle-key")).to_have_text("Hide")
    assert webhook(page)["apikey"] == account.api_key
    page.click("#toggle-key")
    expect(page.locator("#api-key")).to_have_attribute("type", "password")
    assert webhook(page)["apikey"] == MASK

    # a new key: still hidden, and the copy has the new one
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#regenerate-key")
    expect(page.locator("#key-status")).to_contain_text("API key updated", timeout=TIMEOUT)
    assert webhook(page)["apikey"] == MASK
    page.click("#copy-webhook")
    expect(page.locator("#key-status")).to_contain_text("Webhook message copied")
    new_key = json.loads(page.evaluate("navigator.clipboard.readText()"))["apikey"]
    assert new_key != account.api_key and len(new_key) == 64
    assert errors == []


def test_a_wrong_address_gets_the_sites_page_and_the_api_gets_json(signed_in, keyward_server, artifacts):
    page, account, errors = signed_in
    answer = page.goto(f"{keyward_server.url}/no-such-page/")
    assert answer.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.locator(".topbar .brand")).to_be_visible()  # the site's own look, signed-in nav included
    expect(page.locator(".error-links a", has_text="Playground")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.error-code')).color") == "rgb(31, 111, 235)"
    page.screenshot(path=str(artifacts / "404-page.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(artifacts / "404-page-phone.png"), full_page=True)

    for path, expected in [
        ("/api/v1/nope", {"status": "error", "message": "Not found: no API endpoint at this path (the list is at /api/docs/)"}),
        ("/api/nope", {"status": "error", "message": "Not found: no API endpoint at this path (the list is at /api/docs/)"}),
        ("/playground/nope", {"detail": "Not found."}),
    ]:
        answer = page.goto(f"{keyward_server.url}{path}")
        assert answer.status == 404 and answer.headers["content-type"] == "application/json"
        assert answer.json() == expected

    # the page's fetch sees JSON for a method the API does not take
    result = page.evaluate("""async ([url, key]) => {
        const r = await fetch(url, {method: "PUT", headers: {"X-API-KEY": key}});
        return {status: r.status, type: r.headers.get("content-type"), body: await r.json()};
    }""", [f"{keyward_server.url}/api/v1/ping", account.api_key])
    assert result["status"] == 405 and result["type"] == "application/json"
    assert result["body"] == {"status": "error", "message": 'Method "PUT" not allowed.'}

    icon = page.goto(f"{keyward_server.url}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
    # the browser reports each 404/405 it was asked to load; nothing else went wrong
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []


def test_the_browsers_own_favicon_request_succeeds(browser, keyward_server, make_account):
    context = browser.new_context()
    failed: list[str] = []
    try:
        page = context.new_page()
        page.on("response", lambda r: failed.append(r.url) if "favicon" in r.url and r.status >= 400 else None)
        sign_in(page, keyward_server, make_account("favicon"))
        page.goto(f"{keyward_server.url}/apikey/")
        icons = page.evaluate("[...document.querySelectorAll('link[rel=icon]')].map((l) => l.href)")
        assert icons and all(page.request.get(href).status == 200 for href in icons)
        assert failed == []
    finally:
        context.close()
