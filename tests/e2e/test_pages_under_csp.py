"""Every page a person opens works under the strict Content-Security-Policy (no inline
script or style anywhere): Chromium reports any blocked script, style or connection as a
console error, and each page's own working part is checked."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

TIMEOUT = 15_000  # ms

pytestmark = pytest.mark.e2e


def test_the_pages_render_and_the_browser_blocks_nothing(signed_in, keyward_server):
    page, account, errors = signed_in
    violations: list[str] = []
    page.on("console", lambda m: violations.append(f"{page.url}: {m.text} {m.location}") if "Content Security Policy" in m.text else None)

    page.goto(f"{keyward_server.url}/apikey/")
    expect(page.locator("body")).to_contain_text("order", ignore_case=True)

    page.goto(f"{keyward_server.url}/action-center/")
    expect(page.locator("body")).to_contain_text("pending", ignore_case=True)

    page.goto(f"{keyward_server.url}/strategies/")
    expect(page.locator("#new-strategy")).to_be_visible()

    page.goto(f"{keyward_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=TIMEOUT)

    page.goto(f"{keyward_server.url}/api/v1/api-keys/")  # the DRF browsable API
    expect(page.locator(".response-info")).to_be_visible()
    assert page.evaluate("typeof window.jQuery") == "function"  # its scripts ran

    page.goto(f"{keyward_server.url}/playground/")
    # Its module script has run (the tabs answer clicks) once it marks the page ready.
    expect(page.locator("#playground")).to_have_attribute("data-ready", "true", timeout=TIMEOUT)
    page.click("#view-ws")
    page.click("#ws-connect")
    expect(page.locator("#ws-state")).to_have_text("open", timeout=TIMEOUT)  # connect-src admits our ws:

    assert violations == [] and errors == []


def test_the_admin_renders_under_the_policy(browser, keyward_server):
    keyward_server.manage("shell", "-c", (
        "from django.contrib.auth import get_user_model; U = get_user_model(); "
        "U.objects.filter(username='csp-admin').exists() or U.objects.create_superuser('csp-admin', '', 'Csp-admin-pass-1')"
    ))
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{keyward_server.url}/admin/login/")
        page.fill("input[name=username]", "csp-admin")
        page.fill("input[name=password]", "Csp-admin-pass-1")
        page.click("input[type=submit]")
        expect(page.locator("#site-name")).to_be_visible()
        page.goto(f"{keyward_server.url}/admin/apikeys/platformapikey/")
        expect(page.locator("#changelist")).to_be_visible()
        assert [v for v in violations if "favicon" not in v] == []
    finally:
        context.close()
