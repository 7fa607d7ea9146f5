"""The /apikey/ page's "All your keys" card in Chromium: create a scoped key and see it
once, use it, roll it, and see the audit entries and the usage chart."""
from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_create_a_scoped_key_roll_it_and_see_its_audit_log_and_usage(signed_in, keyward_server, docs_screenshots):
    page, account, console_errors = signed_in
    page.goto(f"{keyward_server.url}/apikey/")
    page.wait_for_selector("#keys-table tbody tr")  # the primary key
    page.click("#create-key-panel summary")
    page.fill("#create-key-form input[name=name]", "Market scanner")
    page.uncheck("#create-key-form input[value='write:orders']")
    page.uncheck("#create-key-form input[value='read:account']")
    page.fill("#create-key-form input[name=rate_limit]", "10/s")
    page.fill("#create-key-form textarea[name=allowed_ips]", "127.0.0.1\n2001:db8::/32")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#create-key")
    page.wait_for_selector("#new-secret-box:not([hidden])")
    secret = page.input_value("#new-secret")
    assert len(secret) == 64
    page.wait_for_selector("#keys-table tbody tr:has-text('Market scanner')")  # the list, reloaded
    row = page.locator("#keys-table tbody tr", has_text="Market scanner")
    assert row.locator(".scope").all_inner_texts() == ["read:market"]
    assert secret not in row.inner_text() and secret[-4:] in row.inner_text()  # the hint only

    # The key works for market data only, from this address.
    quotes = httpx.post(f"{keyward_server.url}/api/v1/quotes", json={"apikey": secret, "symbol": "SBIN", "exchange": "NSE"})
    assert quotes.status_code == 200
    order = httpx.post(f"{keyward_server.url}/api/v1/placeorder", json={"apikey": secret})
    assert order.status_code == 403 and order.json()["message"] == "This API key lacks the write:orders scope"

    page.click("#dismiss-new-secret")
    assert page.input_value("#new-secret") == "" and page.is_hidden("#new-secret-box")

    page.select_option("#roll-grace", "3600")
    page.click("#roll-key")
    page.wait_for_selector("#new-secret-box:not([hidden])")
    rolled = page.input_value("#new-secret")
    assert rolled != secret and len(rolled) == 64
    page.wait_for_selector("#keys-table tbody tr:has-text('old secret until')")
    for key in (secret, rolled):  # the old one in its grace
        assert httpx.post(f"{keyward_server.url}/api/v1/ping", json={"apikey": key}).status_code == 200

    page.locator("#keys-table tbody tr", has_text="Market scanner").locator("button").click()
    page.wait_for_selector("#events-table tr[data-action=rolled]")
    actions = page.locator("#events-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.action)")
    # Newest first. The first use from this address ("new_ip") is written when usage is
    # flushed, which may fall before or after the roll.
    changes = [action for action in actions if action != "new_ip"]
    assert changes == ["rolled", "created"] and actions.count("new_ip") <= 1
    assert account.username in page.inner_text("#events-table")
    assert secret not in page.inner_text("#events-table") and rolled not in page.inner_text("#events-table")
    bars = page.locator("#usage-chart svg rect")
    assert bars.count() == 30
    assert int(bars.last.get_attribute("data-total")) >= 1  # today's requests, counted in memory
    assert "read:market" in page.inner_text("#usage-summary")
    page.click("#dismiss-new-secret")
    page.screenshot(path=str(docs_screenshots / "platform-keys.png"), full_page=True)
    assert console_errors == []
