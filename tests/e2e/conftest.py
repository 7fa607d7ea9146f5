"""Browser and CLI tests against a live Keyward (daphne in a child process).

One server for the whole e2e run, with its own SQLite file, signup enabled (the
collection's Register request), a fast simulated feed, and the external providers
(NewsAPI, Gemini) pointed at a local fake on 127.0.0.1. Chromium is Debian's
(/usr/bin/chromium, installed by tests/e2e/setup.sh), driven by Playwright's Python API;
Playwright's own browser downloads are never used.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.livesupport import LiveKeyward, start_keyward
from tests.support.processes import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
NODE_BIN = PROJECT_ROOT / ".e2e" / "node_modules" / ".bin"


def unlanded_endpoints(folders=None) -> dict[str, list[str]]:
    """REST `.bru` files whose URL this codebase does not route (yet), by folder."""
    from django.urls import Resolver404, resolve

    from playground import catalog
    from playground.bruno import substitute

    collection = catalog.collection_load()
    variables = collection.environments["local"]["vars"]
    missing: dict[str, list[str]] = {}
    for request in collection.requests:
        if request.kind != "http" or (folders is not None and request.folder not in folders):
            continue
        try:
            resolve(substitute(request.path, variables, default="1"))
        except Resolver404:
            missing.setdefault(request.folder, []).append(f"{request.method} {request.path}")
    return missing


@dataclass
class Account:
    username: str
    password: str
    api_key: str


@pytest.fixture(scope="session")
def fake_providers():
    """NewsAPI and Gemini stand-ins: what a key test and the News Analyst call."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    article = {
        "source": {"id": None, "name": "Keyward Test Wire"}, "author": "E2E", "title": "AAPL shares rise after results",
        "description": "Results beat estimates.", "url": "http://127.0.0.1/article", "publishedAt": "2026-01-02T10:00:00Z",
        "content": "Results beat estimates.",
    }
    server.expect_request(re.compile(r"^/v2/.*")).respond_with_json({"status": "ok", "totalResults": 1, "articles": [article]})
    server.expect_request(re.compile(r"^/v1beta/models/[^/]+:generateContent$")).respond_with_json(
        {"candidates": [{"content": {"parts": [{"text": json.dumps(
            {"sentiment": "positive", "score": 0.6, "rationale": "Results beat estimates."}
        )}], "role": "model"}, "finishReason": "STOP"}], "modelVersion": "gemini-2.0-flash"}
    )
    server.expect_request(re.compile(r"^/v1beta/models$")).respond_with_json({"models": [{"name": "models/gemini-2.0-flash"}]})
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(scope="session")
def keyward_server(tmp_path_factory, fake_providers) -> LiveKeyward:
    base = fake_providers.url_for("").rstrip("/")
    server = start_keyward(tmp_path_factory.mktemp("playground-e2e"), env={
        "ALLOW_SIGNUP": "True",
        "FEED_TICKS_PER_SECOND": "5",
        "NEWS_API_BASE_URL": base,
        "GOOGLE_API_BASE_URL": base,
        "NEWS_API_KEY": "system-news-key-for-e2e",
        "GOOGLE_API_KEY": "system-gemini-key-for-e2e",
        "THROTTLE_LOGIN": "1000/min",
        "THROTTLE_REGISTER": "1000/hour",
    })
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def make_account(keyward_server):
    """A user with a password and a fresh platform key on the live server."""

    def make(prefix: str) -> Account:
        username = f"{prefix}-{secrets.token_hex(3)}"
        password = "E2e-" + secrets.token_urlsafe(12)
        key = keyward_server.manage("seed_platform_key", "--username", username, "--password", password).strip()
        assert re.fullmatch(r"[0-9a-f]{64}", key), "seed_platform_key printed a key"
        return Account(username, password, key)

    return make


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash tests/e2e/setup.sh` (make e2e does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def docs_screenshots() -> Path:
    """Where the REST and WebSocket views are saved: the README shows these very files,
    so they are always what the last browser run saw."""
    return PROJECT_ROOT / "playground" / "docs"


def sign_in(page, keyward_server: LiveKeyward, account: Account) -> None:
    page.goto(f"{keyward_server.url}/login/")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/apikey/$"))


@pytest.fixture
def signed_in(browser, keyward_server, make_account):
    """A fresh browser context (clipboard allowed) signed in as a fresh user: (page, account)."""
    account = make_account("browser")
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    console_errors: list[str] = []
    def on_console(message):
        # the browser's own favicon probe is not the page's doing
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            console_errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    sign_in(page, keyward_server, account)
    try:
        yield page, account, console_errors
    finally:
        context.close()
