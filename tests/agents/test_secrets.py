"""The keys an agent run uses go to NewsAPI and Gemini and nowhere else: not to a log
record at DEBUG (urllib3, SQL, the fake server's access log included), not to a response,
not to the cache. Like tests/apikeys/test_vault_secrets.py, over every outcome."""
from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.db import connection

from apikeys import vault
from tests.agents.conftest import ALL_PLAINTEXTS, SYSTEM_KEYS, USER_KEYS
from tests.agents.fakes import GEMINI_PATH, NEWS_PATH, gemini_reply
from tests.apikeys.fake_providers import GOOGLE_INVALID_KEY, NEWS_RATE_LIMITED

URL = "/api/v1/agents/news-analyst/"
LOGGERS = ("", "django", "django.request", "django.db.backends", "urllib3", "apikeys", "agents", "werkzeug")
REJECTED_KEY = "rejected-user-news-key-31337"


def every_outcome(api, user, agent_fakes, settings) -> list:
    """One request per outcome, with user keys, system keys and a mix; every answer kept."""
    responses = []

    def run(symbol="RELIANCE", **extra):
        responses.append(api.post(URL, {"symbol": symbol, **extra}, format="json"))
        return responses[-1]

    assert run().status_code == 424  # no key at all
    settings.NEWS_API_KEY = SYSTEM_KEYS["news_api"]
    assert run("NOGEMINI").json()["warnings"][0]["code"] == "MISSING_KEY"
    settings.GOOGLE_API_KEY = SYSTEM_KEYS["google_api"]
    assert run("SYSTEM").json()["key_sources"] == {"news_api": "system", "google_api": "system"}
    rows = {t: vault.service_key_create(user=user, key_type=t, api_key=k, key_name=t) for t, k in USER_KEYS.items()}
    assert run("USER").json()["key_sources"] == {"news_api": "user", "google_api": "user"}
    assert run("USER").json()["cached"] is True
    agent_fakes.gemini_answers(GOOGLE_INVALID_KEY, 400)
    assert run("GEMINIBAD").json()["warnings"][0]["code"] == "UNAUTHORIZED"
    agent_fakes.gemini_answers(gemini_reply("not json at all"))
    assert run("MALFORMED").json()["warnings"][0]["code"] == "INVALID_RESPONSE"
    agent_fakes.echo_key_once(GEMINI_PATH, "POST")
    assert run("ECHOGEMINI").json()["warnings"][0]["code"] == "SERVICE_ERROR"  # a user key quoted back
    agent_fakes.news_answers(NEWS_RATE_LIMITED, 429)
    assert run("LIMITED").json()["error_code"] == "RATE_LIMITED"
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    answered = agent_fakes.slow(GEMINI_PATH, "POST", 1.0)
    assert run("SLOW").json()["warnings"][0]["code"] == "TIMEOUT"
    assert answered()
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    vault.service_key_update(key=rows["news_api"], is_active=False)
    vault.service_key_create(user=user, key_type="news_api", api_key=REJECTED_KEY, key_name="rejected")
    assert run("REJECTED").json()["error_code"] == "UNAUTHORIZED"
    vault.service_key_soft_delete(key=vault.service_key_get_active(user=user, key_type="news_api"))
    agent_fakes.echo_key_once(NEWS_PATH, "GET")  # the system key, quoted back by a proxy
    assert run("ECHONEWS").json()["error_code"] == "SERVICE_ERROR"
    return responses


@pytest.mark.django_db
@pytest.mark.usefixtures("quick_passwords")
def test_every_outcome_logged_at_debug_leaves_no_key_in_any_record(api, user, agent_fakes, settings, caplog):
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # every SQL statement with its parameters
    try:
        every_outcome(api, user, agent_fakes, settings)
    finally:
        connection.force_debug_cursor = False
        for name in LOGGERS[1:]:
            logging.getLogger(name).setLevel(logging.NOTSET)
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    # the capture really saw the HTTP calls, the provider bodies and the SQL
    assert "/v2/everything?q=" in text and ":generateContent" in text
    assert any(r.name == "urllib3.connectionpool" for r in caplog.records)
    assert "google_api answer body" in text and "upstream error for key [REDACTED]" in text
    assert "apikeys_serviceapikey" in text
    for plaintext in [*ALL_PLAINTEXTS, REJECTED_KEY]:
        assert plaintext not in text


@pytest.mark.django_db
@pytest.mark.usefixtures("quick_passwords")
def test_no_response_and_no_cache_entry_holds_a_key(api, user, agent_fakes, settings):
    responses = every_outcome(api, user, agent_fakes, settings)
    assert len(responses) == 12
    raw_cache = repr(getattr(cache, "_cache", ""))
    for response in responses:
        content = response.content.decode() + str(response.headers)
        for plaintext in [*ALL_PLAINTEXTS, REJECTED_KEY]:
            assert plaintext not in content
            assert plaintext not in raw_cache
