"""No plaintext key in any log record (apikeys/redaction.py)."""
from __future__ import annotations

import logging

import pytest
from django.db import connection

from apikeys import redaction, verification

pytestmark = pytest.mark.django_db

KEY = "9f" * 32


@pytest.mark.parametrize(
    "line",
    [
        f"verifying {KEY}",
        f'http://127.0.0.1:5000 "GET /stable/quote?symbol=AAPL&apikey={KEY} HTTP/1.1" 200 12',
        f"GET /api/v1/quotes?apikey=sk-live-1234567890abcdef&symbol=X",
        f"send: b'GET /v2/top-headlines HTTP/1.1\\r\\nX-Api-Key: news-abcdef123456\\r\\n'",
        f"header: x-goog-api-key: AIzaSyD-gemini-key-value",
        f"{{'apikey': '{KEY}', 'symbol': 'SBIN'}}",
        f'{{"api_key": "sk-12345678901234567890"}}',
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.c2lnbmF0dXJl",
        "token=abc123def456ghi&user=1",
    ],
)
def test_secret_shapes_are_masked(line):
    redacted = redaction.redact(line)
    assert redaction.MASK in redacted
    for secret in (KEY, "sk-live-1234567890abcdef", "news-abcdef123456", "AIzaSyD-gemini-key-value",
                   "sk-12345678901234567890", "eyJhbGciOiJIUzI1NiJ9", "abc123def456ghi"):
        assert secret not in redacted


def test_known_secrets_are_masked_wherever_they_appear():
    redaction.remember("plain-service-key-with-no-shape")
    assert redaction.redact("oops plain-service-key-with-no-shape leaked") == f"oops {redaction.MASK} leaked"


def test_records_are_redacted_for_every_handler_including_exceptions(caplog):
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("some.third.party")
    log.debug("raw key %s in args", KEY)
    try:
        raise ValueError(f"bad key {KEY}")
    except ValueError:
        log.exception("failed")
    assert KEY not in caplog.text
    assert all(KEY not in r.getMessage() for r in caplog.records)
    assert "bad key" in caplog.text


def test_a_whole_platform_key_workflow_logged_at_debug_leaves_no_key(caplog, api, user):
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.db.backends", "urllib3", "apikeys"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        seen = []
        first = api.post("/api/v1/apikey/").json()["api_key"]
        seen.append(first)
        seen.append(api.get("/api/v1/apikey/").json()["api_key"])
        assert verification.verify(first) is not None
        second = api.post("/api/v1/apikey/").json()["api_key"]
        seen.append(second)
        assert verification.verify(second) is not None
        assert verification.verify(first) is None
        api.post("/api/v1/apikey/mode/", {"mode": "semi_auto"}, format="json")
        logging.getLogger("apikeys").debug("about to use %s", second)
        api.delete("/api/v1/apikey/")
    finally:
        connection.force_debug_cursor = False
        for name in ("django", "django.request", "django.db.backends", "urllib3", "apikeys"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert len(caplog.records) > 5  # the capture really saw the workflow (SQL included)
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for key in seen:
        assert key not in text
