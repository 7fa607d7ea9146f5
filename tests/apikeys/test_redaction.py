"""No plaintext key in any log record (apikeys/redaction.py)."""
from __future__ import annotations

import logging
import time

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
        "GET /api/v1/quotes?apikey=sk-live-1234567890abcdef&symbol=X",
        "send: b'GET /v2/top-headlines HTTP/1.1\\r\\nX-Api-Key: news-abcdef123456\\r\\n'",
        "header: x-goog-api-key: AIzaSyD-gemini-key-value",
        f"{{'apikey': '{KEY}', 'symbol': 'SBIN'}}",
        '{"api_key": "sk-12345678901234567890"}',
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


def _percent_encoded(text: str) -> str:
    return "".join(f"%{ord(c):02x}" for c in text)


@pytest.mark.parametrize(
    "line",
    [
        f"GET /api/v1/ping?%61pikey={KEY} HTTP/1.1",
        "GET /api/v1/ping?%61pikey=not-a-hex-key-but-secret HTTP/1.1",
        "GET /api/v1/ping?api%5Fkey=not-a-hex-key-but-secret&symbol=SBIN",
        f"GET /api/v1/ping?%41PIKEY={_percent_encoded(KEY)}",
        f"GET /api/v1/ping?symbol=SBIN&whatever={_percent_encoded(KEY)}&exchange=NSE",
        f"GET /api/v1/ping?x={KEY[:10]}%{ord(KEY[10]):02x}{KEY[11:]}",
        "POST /api/v1/ping body: symbol=SBIN&%74oken=not-a-hex-key-but-secret",
    ],
)
def test_query_parameters_are_judged_percent_decoded_as_django_reads_them(line):
    redacted = redaction.redact(line)
    assert "not-a-hex-key-but-secret" not in redacted and KEY not in redacted
    assert _percent_encoded(KEY) not in redacted and KEY[11:] not in redacted
    assert redaction.MASK in redacted


def test_ordinary_parameters_are_left_alone():
    line = "GET /api/v1/quotes?symbol=SBIN&exchange=NSE&monkey=banana&keyboard=qwerty HTTP/1.1"
    assert redaction.redact(line) == line


@pytest.mark.live
def test_the_access_log_masks_a_percent_encoded_apikey_name_and_value(tmp_path):
    import requests

    from tests.support.processes import run_manage, served, strong_env

    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    log_path = tmp_path / "out.log"
    with served(env, log_path) as server:
        for query in (f"%61pikey={KEY}", f"%61pikey={_percent_encoded(KEY)}", "%61pikey=partial-secret-1"):
            assert requests.get(f"{server.url}/api/v1/ping?{query}", timeout=5).status_code in (403, 429)
        time.sleep(0.5)
    output = log_path.read_text()
    assert output.count("/api/v1/ping?") >= 3 and redaction.MASK in output  # logged, masked
    assert KEY not in output and _percent_encoded(KEY) not in output and "partial-secret-1" not in output
