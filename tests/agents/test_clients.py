"""The NewsAPI and Gemini clients against the local fakes: the requests they send, how
they read real answers, and the vault's error mapping applied to every failure."""
from __future__ import annotations

import json

import pytest

from agents import clients, keys
from apikeys.providers import ProviderError
from tests.agents.conftest import SYSTEM_KEYS, USER_KEYS
from tests.agents.fakes import GEMINI_BLOCKED, GEMINI_PATH, GEMINI_SAFETY_STOP, NEWS_EXHAUSTED, gemini_reply
from tests.apikeys.fake_providers import (
    GOOGLE_FORBIDDEN,
    GOOGLE_RATE_LIMITED,
    GOOGLE_UNAVAILABLE,
    NEWS_RATE_LIMITED,
    NEWS_UNEXPECTED,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]


@pytest.fixture
def news_key(user, agent_fakes, system_keys):
    system_keys()
    return keys.resolve_key(user=user, key_type="news_api")


@pytest.fixture
def gemini_key(user, agent_fakes, system_keys):
    system_keys()
    return keys.resolve_key(user=user, key_type="google_api")


def _gemini(key, model="gemini-2.0-flash"):
    return clients.gemini_generate_json(
        key=key, model=model, system_instruction="Be brief.", prompt="Headlines: ...",
        response_schema={"type": "OBJECT", "properties": {"x": {"type": "STRING"}}},
    )


# --- NewsAPI ------------------------------------------------------------------------------

def test_news_search_asks_everything_newest_first_in_english_with_the_key_in_a_header(news_key, agent_fakes):
    headlines = clients.news_everything(key=news_key, query='"RELIANCE"', page_size=7)
    (request,) = agent_fakes.news_requests()
    assert request.args.to_dict() == {"q": '"RELIANCE"', "sortBy": "publishedAt", "language": "en", "pageSize": "7"}
    assert request.headers["X-Api-Key"] == SYSTEM_KEYS["news_api"]
    assert SYSTEM_KEYS["news_api"] not in request.full_path
    assert [h.as_dict() for h in headlines] == [
        {"title": "Reliance Industries Q3 profit beats estimates as retail, telecom grow", "source": "Reuters",
         "url": "https://www.reuters.com/business/reliance-q3-profit/", "published_at": "2025-01-16T12:30:00Z"},
        {"title": "Reliance Jio tariff hike lifts ARPU outlook, brokerages raise targets", "source": "Moneycontrol",
         "url": "https://www.moneycontrol.com/news/reliance-jio-arpu/", "published_at": "2025-01-15T08:05:11Z"},
    ]  # the "[Removed]" article is dropped; offsets become Z


@pytest.mark.parametrize(("asked", "sent"), [(0, "1"), (250, "100"), (100, "100")])
def test_page_size_stays_within_newsapis_limits(news_key, agent_fakes, asked, sent):
    clients.news_everything(key=news_key, query="x", page_size=asked)
    assert agent_fakes.news_requests()[0].args["pageSize"] == sent


def test_articles_without_a_usable_title_or_url_are_skipped(news_key, agent_fakes):
    agent_fakes.news_answers({"status": "ok", "totalResults": 4, "articles": [
        {"source": {"name": "A"}, "title": "  Spaced \n  out  title ", "url": "https://a.example/1",
         "publishedAt": "not a date"},
        {"source": None, "title": None, "url": "https://a.example/2"},
        {"source": {"name": ""}, "title": "No scheme", "url": "javascript:alert(1)"},
        "not an object",
    ]})
    (only,) = clients.news_everything(key=news_key, query="x", page_size=10)
    assert only.as_dict() == {"title": "Spaced out title", "source": "A", "url": "https://a.example/1",
                              "published_at": None}


@pytest.mark.parametrize(("body", "status", "code"), [
    (NEWS_RATE_LIMITED, 429, "RATE_LIMITED"),
    (NEWS_EXHAUSTED, 429, "RATE_LIMITED"),
    (NEWS_UNEXPECTED, 500, "SERVICE_ERROR"),
    ("<html><body>403 Forbidden</body></html>", 403, "FORBIDDEN"),
    ("<html>not json</html>", 200, "INVALID_RESPONSE"),
    ({"status": "ok", "totalResults": 0}, 200, "INVALID_RESPONSE"),
    ({"status": "error", "code": "parameterInvalid", "message": "q is too long"}, 400, "INVALID_RESPONSE"),
])
def test_news_failures_map_to_the_vaults_error_codes(news_key, agent_fakes, body, status, code):
    agent_fakes.news_answers(body, status)
    with pytest.raises(ProviderError) as caught:
        clients.news_everything(key=news_key, query="x", page_size=10)
    assert caught.value.code == code


def test_a_key_newsapi_refuses_is_unauthorized(user, agent_fakes, settings):
    settings.NEWS_API_KEY = "revoked-news-key-000000"
    with pytest.raises(ProviderError) as caught:
        clients.news_everything(key=keys.resolve_key(user=user, key_type="news_api"), query="x", page_size=1)
    assert caught.value.code == "UNAUTHORIZED"
    assert "revoked-news-key" not in str(caught.value)


# --- Gemini -------------------------------------------------------------------------------

def test_gemini_gets_a_json_mode_request_with_the_key_in_a_header(gemini_key, agent_fakes):
    assert json.loads(_gemini(gemini_key)) == json.loads(agent_fakes.gemini_text)
    (request,) = agent_fakes.gemini_requests()
    assert request.path == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert request.headers["x-goog-api-key"] == SYSTEM_KEYS["google_api"]
    assert request.query_string == b""  # never ?key=
    body = request.get_json()
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Headlines: ..."}]}]
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"] == {"type": "OBJECT", "properties": {"x": {"type": "STRING"}}}


def test_the_model_comes_from_the_argument_with_or_without_the_models_prefix(gemini_key, agent_fakes):
    _gemini(gemini_key, model="models/gemini-2.5-flash")
    assert agent_fakes.gemini_requests()[0].path == "/v1beta/models/gemini-2.5-flash:generateContent"


@pytest.mark.parametrize("model", ["", "../v1/other", "gemini 2", "a/b"])
def test_an_unusable_model_name_is_refused_before_any_call(gemini_key, agent_fakes, model):
    with pytest.raises(ProviderError) as caught:
        _gemini(gemini_key, model=model)
    assert caught.value.code == "INVALID_RESPONSE" and "GEMINI_MODEL" in caught.value.message
    assert agent_fakes.gemini_requests() == []


def test_multi_part_answers_are_joined(gemini_key, agent_fakes):
    reply = gemini_reply("")
    reply["candidates"][0]["content"]["parts"] = [{"text": '{"a": '}, {"text": "1}"}]
    agent_fakes.gemini_answers(reply)
    assert _gemini(gemini_key) == '{"a": 1}'


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                "details": [{"reason": "API_KEY_INVALID"}]}}, 400, "UNAUTHORIZED"),
    (GOOGLE_FORBIDDEN, 403, "FORBIDDEN"),
    (GOOGLE_RATE_LIMITED, 429, "RATE_LIMITED"),
    (GOOGLE_UNAVAILABLE, 503, "SERVICE_ERROR"),
    ({"error": {"code": 404, "message": "models/gemini-9 is not found", "status": "NOT_FOUND"}}, 404, "INVALID_RESPONSE"),
    ("upstream connect error", 200, "INVALID_RESPONSE"),
    (GEMINI_BLOCKED, 200, "INVALID_RESPONSE"),
    (GEMINI_SAFETY_STOP, 200, "INVALID_RESPONSE"),
    ({"candidates": []}, 200, "INVALID_RESPONSE"),
])
def test_gemini_failures_map_to_the_vaults_error_codes(gemini_key, agent_fakes, body, status, code):
    agent_fakes.gemini_answers(body, status, content_type="text/plain")
    with pytest.raises(ProviderError) as caught:
        _gemini(gemini_key)
    assert caught.value.code == code


def test_a_slow_gemini_is_a_timeout(gemini_key, agent_fakes, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    answered = agent_fakes.slow(GEMINI_PATH, "POST", 1.0)
    with pytest.raises(ProviderError) as caught:
        _gemini(gemini_key)
    assert caught.value.code == "TIMEOUT"
    assert answered()


def test_an_unreachable_gemini_is_a_network_error(gemini_key, settings, closed_port):
    settings.GOOGLE_API_BASE_URL = closed_port
    with pytest.raises(ProviderError) as caught:
        _gemini(gemini_key)
    assert caught.value.code == "NETWORK_ERROR"


def test_user_keys_travel_the_same_way(user, agent_fakes, user_keys):
    user_keys()
    _gemini(keys.resolve_key(user=user, key_type="google_api"))
    clients.news_everything(key=keys.resolve_key(user=user, key_type="news_api"), query="x", page_size=1)
    assert agent_fakes.gemini_requests()[0].headers["x-goog-api-key"] == USER_KEYS["google_api"]
    assert agent_fakes.news_requests()[0].headers["X-Api-Key"] == USER_KEYS["news_api"]
