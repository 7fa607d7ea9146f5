"""POST /api/v1/agents/news-analyst/ over HTTP: every outcome docs/api/agents.md names, against the
local NewsAPI and Gemini fakes, plus auth, input validation and the schema."""
from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from apikeys.models import ServiceApiKey
from tests.agents.conftest import ALL_PLAINTEXTS, SYSTEM_KEYS, USER_KEYS
from tests.agents.fakes import ANALYSIS, GEMINI_BLOCKED, GEMINI_PATH, NEWS_PATH, gemini_reply
from tests.agents.test_news_analyst import MALFORMED
from tests.apikeys.fake_providers import (
    GOOGLE_FORBIDDEN,
    GOOGLE_INVALID_KEY,
    GOOGLE_RATE_LIMITED,
    GOOGLE_UNAVAILABLE,
    NEWS_INVALID_KEY,
    NEWS_RATE_LIMITED,
    NEWS_UNEXPECTED,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]

URL = "/api/v1/agents/news-analyst/"
BODY = {"symbol": "RELIANCE", "exchange": "NSE"}


def post(client, body=BODY):
    return client.post(URL, body, format="json")


def assert_no_key_in(response):
    content = response.content.decode()
    for plaintext in ALL_PLAINTEXTS:
        assert plaintext not in content


# --- success --------------------------------------------------------------------------

def test_the_report_has_the_documented_shape(api, agent_fakes, user_keys):
    user_keys()
    response = post(api)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["symbol", "exchange", "query", "headlines", "analysis", "warnings", "key_sources",
                          "generated_at", "cached"]
    assert (body["symbol"], body["exchange"], body["query"]) == ("RELIANCE", "NSE", '"RELIANCE"')
    assert body["headlines"][0] == {
        "title": "Reliance Industries Q3 profit beats estimates as retail, telecom grow", "source": "Reuters",
        "url": "https://www.reuters.com/business/reliance-q3-profit/", "published_at": "2025-01-16T12:30:00Z",
    }
    assert body["analysis"] == {**ANALYSIS, "model": "gemini-2.0-flash"}
    assert body["warnings"] == []
    assert body["key_sources"] == {"news_api": "user", "google_api": "user"}
    assert body["generated_at"].endswith("Z") and body["cached"] is False
    assert_no_key_in(response)


def test_user_keys_are_used_over_system_keys(api, agent_fakes, user_keys, system_keys):
    user_keys()
    system_keys()
    assert post(api).json()["key_sources"] == {"news_api": "user", "google_api": "user"}
    assert agent_fakes.news_requests()[0].headers["X-Api-Key"] == USER_KEYS["news_api"]
    assert agent_fakes.gemini_requests()[0].headers["x-goog-api-key"] == USER_KEYS["google_api"]


def test_system_keys_are_the_fallback(api, agent_fakes, system_keys):
    system_keys()
    assert post(api).json()["key_sources"] == {"news_api": "system", "google_api": "system"}
    assert agent_fakes.news_requests()[0].headers["X-Api-Key"] == SYSTEM_KEYS["news_api"]
    assert agent_fakes.gemini_requests()[0].headers["x-goog-api-key"] == SYSTEM_KEYS["google_api"]


def test_sources_are_chosen_per_key_type(api, agent_fakes, user_keys, system_keys):
    user_keys("google_api")
    system_keys("news_api")
    assert post(api).json()["key_sources"] == {"news_api": "system", "google_api": "user"}


def test_last_used_at_is_updated_for_the_user_keys_used_only(api, agent_fakes, user_keys, system_keys):
    rows = user_keys("news_api")
    system_keys("google_api")
    assert post(api).status_code == 200
    assert ServiceApiKey.objects.get(pk=rows["news_api"].pk).last_used_at is not None
    listed = {k["key_type"]: k for k in api.get("/api/v1/api-keys/").json()}
    assert listed["news_api"]["last_used_at"].endswith("Z")
    assert "google_api" not in listed  # the system key has no row to touch


@pytest.mark.parametrize("path", ["/api/v1/agents/news-analyst", "/api/v1/agents/news-analyst/"])
def test_both_spellings_of_the_path_answer(api, agent_fakes, system_keys, path):
    system_keys()
    assert api.post(path, BODY, format="json").status_code == 200


def test_exchange_and_company_name_are_optional(api, agent_fakes, system_keys):
    system_keys()
    body = post(api, {"symbol": "aapl", "company_name": "Apple"}).json()
    assert (body["symbol"], body["exchange"], body["query"]) == ("AAPL", None, '"AAPL" OR "Apple"')
    assert agent_fakes.news_requests()[0].args["q"] == '"AAPL" OR "Apple"'


# --- missing keys ---------------------------------------------------------------------

def test_no_news_key_anywhere_is_424_naming_news_api(api, agent_fakes, user_keys, system_keys):
    user_keys("google_api")
    system_keys("google_api")
    response = post(api)
    assert response.status_code == 424
    assert response.json() == {
        "detail": "No news_api key: add one in the vault or set NEWS_API_KEY", "key_type": "news_api",
        "error_code": "MISSING_KEY",
    }
    assert agent_fakes.server.log == []


def test_no_gemini_key_gives_headlines_with_a_null_analysis_and_a_warning(api, agent_fakes, user_keys):
    user_keys("news_api")
    response = post(api)
    assert response.status_code == 200
    body = response.json()
    assert len(body["headlines"]) == 2 and body["analysis"] is None
    assert body["key_sources"] == {"news_api": "user", "google_api": None}
    assert body["warnings"] == [{
        "code": "MISSING_KEY", "service": "google_api",
        "message": "No google_api key: add one in the vault or set GOOGLE_API_KEY; headlines only, no analysis",
    }]
    assert agent_fakes.gemini_requests() == []


# --- NewsAPI failures: 502 ------------------------------------------------------------

NEWS_FAILURES = {
    "UNAUTHORIZED": (NEWS_INVALID_KEY, 401),
    "FORBIDDEN": ("<html><head><title>403 Forbidden</title></head><body>Forbidden</body></html>", 403),
    "RATE_LIMITED": (NEWS_RATE_LIMITED, 429),
    "SERVICE_ERROR": (NEWS_UNEXPECTED, 500),
    "INVALID_RESPONSE": ("<html><body>Just a moment...</body></html>", 200),
}


@pytest.mark.parametrize("code", NEWS_FAILURES)
def test_a_newsapi_failure_is_502_with_its_error_code(api, agent_fakes, system_keys, code):
    system_keys()
    body, status = NEWS_FAILURES[code]
    agent_fakes.news_answers(body, status)
    response = post(api)
    assert response.status_code == 502
    assert response.json()["error_code"] == code and response.json()["service"] == "news_api"
    assert agent_fakes.gemini_requests() == []
    assert "newsapi.org" not in response.content.decode()  # not the provider's own message
    assert_no_key_in(response)


def test_a_bad_gateway_from_newsapi_is_a_service_error(api, agent_fakes, system_keys):
    system_keys()
    agent_fakes.news_answers("<html><body><h1>502 Bad Gateway</h1></body></html>", 502)
    assert post(api).json()["error_code"] == "SERVICE_ERROR"


def test_a_user_key_newsapi_rejects_is_502_unauthorized_not_a_silent_fallback(api, agent_fakes, user, system_keys):
    from apikeys import vault

    vault.service_key_create(user=user, key_type="news_api", api_key="expired-news-key-123456", key_name="old")
    system_keys()
    response = post(api)
    assert (response.status_code, response.json()["error_code"]) == (502, "UNAUTHORIZED")
    assert agent_fakes.news_requests()[0].headers["X-Api-Key"] == "expired-news-key-123456"
    assert "expired-news-key" not in response.content.decode()


def test_a_newsapi_timeout_is_502_timeout(api, agent_fakes, system_keys, settings):
    system_keys()
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    answered = agent_fakes.slow(NEWS_PATH, "GET", 1.0)
    response = post(api)
    assert (response.status_code, response.json()["error_code"]) == (502, "TIMEOUT")
    assert answered()


def test_an_unreachable_newsapi_is_502_network_error(api, agent_fakes, system_keys, settings, closed_port):
    system_keys()
    settings.NEWS_API_BASE_URL = closed_port
    response = post(api)
    assert (response.status_code, response.json()["error_code"]) == (502, "NETWORK_ERROR")


def test_failures_are_not_cached(api, agent_fakes, system_keys, settings):
    settings.GOOGLE_API_KEY = SYSTEM_KEYS["google_api"]
    assert post(api).status_code == 424
    system_keys("news_api")
    agent_fakes.news_answers(NEWS_UNEXPECTED, 500)
    assert post(api).status_code == 502
    response = post(api)
    assert (response.status_code, response.json()["cached"]) == (200, False)
    assert post(api).json()["cached"] is True


# --- Gemini failures: 200, analysis null, warning -----------------------------------------

GEMINI_FAILURES = {
    "UNAUTHORIZED": (GOOGLE_INVALID_KEY, 400),
    "FORBIDDEN": (GOOGLE_FORBIDDEN, 403),
    "RATE_LIMITED": (GOOGLE_RATE_LIMITED, 429),
    "SERVICE_ERROR": (GOOGLE_UNAVAILABLE, 503),
    "INVALID_RESPONSE": ("upstream connect error or disconnect/reset before headers", 200),
}


@pytest.mark.parametrize("code", GEMINI_FAILURES)
def test_a_gemini_failure_keeps_the_headlines_and_warns_with_its_code(api, agent_fakes, system_keys, code):
    system_keys()
    body, status = GEMINI_FAILURES[code]
    agent_fakes.gemini_answers(body, status, content_type="text/plain")
    response = post(api)
    assert response.status_code == 200
    report = response.json()
    assert len(report["headlines"]) == 2 and report["analysis"] is None
    (warning,) = report["warnings"]
    assert (warning["code"], warning["service"]) == (code, "google_api")
    assert code in warning["message"]
    assert report["key_sources"]["google_api"] == "system"
    assert_no_key_in(response)


def test_a_gemini_timeout_is_a_warning(api, agent_fakes, system_keys, settings):
    system_keys()
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    answered = agent_fakes.slow(GEMINI_PATH, "POST", 1.0)
    report = post(api).json()
    assert report["analysis"] is None and report["warnings"][0]["code"] == "TIMEOUT"
    assert answered()


def test_an_unreachable_gemini_is_a_warning(api, agent_fakes, system_keys, settings, closed_port):
    system_keys()
    settings.GOOGLE_API_BASE_URL = closed_port
    report = post(api).json()
    assert report["analysis"] is None and report["warnings"][0]["code"] == "NETWORK_ERROR"


def test_a_blocked_prompt_is_a_warning(api, agent_fakes, system_keys):
    system_keys()
    agent_fakes.gemini_answers(GEMINI_BLOCKED)
    report = post(api).json()
    assert report["analysis"] is None and report["warnings"][0]["code"] == "INVALID_RESPONSE"


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_model_output_is_a_null_analysis_with_a_warning_never_a_500(api, agent_fakes, system_keys, text):
    system_keys()
    agent_fakes.gemini_answers(gemini_reply(text, finish_reason="MAX_TOKENS" if "ratio" in text else "STOP"))
    response = post(api)
    assert response.status_code == 200
    report = response.json()
    assert report["analysis"] is None and len(report["headlines"]) == 2
    (warning,) = report["warnings"]
    assert (warning["code"], warning["service"]) == ("INVALID_RESPONSE", "google_api")
    assert "not the requested JSON" in warning["message"]


# --- cache over HTTP --------------------------------------------------------------------

def test_a_repeated_request_is_answered_from_the_cache(api, agent_fakes, system_keys):
    system_keys()
    first = post(api).json()
    second = post(api, {"symbol": " reliance ", "exchange": "nse"}).json()
    assert second == {**first, "cached": True}
    assert len(agent_fakes.server.log) == 2


def test_the_cache_never_crosses_users(api, other_api, agent_fakes, user_keys, system_keys):
    user_keys()
    system_keys()
    assert post(api).json()["key_sources"]["news_api"] == "user"
    other = post(other_api).json()
    assert other["cached"] is False and other["key_sources"] == {"news_api": "system", "google_api": "system"}


# --- auth, input ------------------------------------------------------------------------

def test_anonymous_requests_are_refused(anon, agent_fakes, system_keys):
    system_keys()
    assert post(anon).status_code == 401
    assert agent_fakes.server.log == []


def test_a_session_needs_csrf(user, agent_fakes, system_keys):
    system_keys()
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get("/api/v1/api-keys/", HTTP_ACCEPT="text/html")  # sets the CSRF cookie
    assert post(browser).status_code == 403
    response = browser.post(URL, BODY, format="json", HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    assert response.status_code == 200


def test_only_post_is_answered(api):
    assert api.get(URL).status_code == 405


BAD_INPUT = {
    "no symbol": ({"exchange": "NSE"}, "symbol"),
    "empty symbol": ({"symbol": ""}, "symbol"),
    "symbol too long": ({"symbol": "A" * 51}, "symbol"),
    "symbol with space": ({"symbol": "RELIANCE IND"}, "symbol"),
    "symbol with quote": ({"symbol": 'AAPL"OR"x'}, "symbol"),
    "symbol leading dash": ({"symbol": "-AAPL"}, "symbol"),
    "symbol a number": ({"symbol": 123}, "symbol"),
    "symbol a list": ({"symbol": ["AAPL"]}, "symbol"),
    "symbol null": ({"symbol": None}, "symbol"),
    "unknown exchange": ({"symbol": "AAPL", "exchange": "LSE"}, "exchange"),
    "exchange a number": ({"symbol": "AAPL", "exchange": 1}, "exchange"),
    "company with quote": ({"symbol": "AAPL", "company_name": 'Apple" OR "x'}, "company_name"),
    "company too long": ({"symbol": "AAPL", "company_name": "A" * 101}, "company_name"),
}


@pytest.mark.parametrize(("body", "field"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_400_with_a_field_message(api, agent_fakes, body, field):
    response = post(api, body)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field] and response.json()[field][0]
    assert agent_fakes.server.log == []


@pytest.mark.parametrize("raw", ['{"symbol": "AAPL"', "symbol=AAPL&&", "[1, 2]", '"AAPL"', "null"])
def test_a_body_that_is_not_a_json_object_is_400(api, raw):
    response = api.post(URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()


def test_a_blank_exchange_means_none(api, agent_fakes, system_keys):
    system_keys()
    assert post(api, {"symbol": "AAPL", "exchange": " "}).json()["exchange"] is None


def test_runs_are_throttled_per_user(api, agent_fakes, system_keys, settings):
    system_keys()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "news_analyst": "2/min"},
    }
    assert [post(api).status_code for _ in range(3)] == [200, 200, 429]


def test_an_undecryptable_vault_key_is_503_naming_fernet_keys(api, agent_fakes, user_keys, system_keys, settings):
    from cryptography.fernet import Fernet

    user_keys("news_api")
    system_keys()
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    response = post(api)
    assert response.status_code == 503 and "FERNET_KEYS" in response.json()["detail"]
    assert agent_fakes.server.log == []


def test_the_schema_documents_the_endpoint_with_examples(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/agents/news-analyst/"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "424", "429", "502"}
    # The input rules, as schemathesis found them missing from the schema: a symbol was any string.
    request = schema["components"]["schemas"]["NewsAnalystInputRequest"]["properties"]
    assert request["symbol"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9_&.\\-]{0,49}$"
    assert request["symbol"]["maxLength"] == 50
    exchanges = schema["components"]["schemas"]["NewsAnalystInputExchangeEnum"]["enum"]
    assert "NSE" in exchanges and "NASDAQ" in exchanges
    assert operation["requestBody"]["content"]["application/json"]["examples"]
    assert operation["responses"]["200"]["content"]["application/json"]["examples"]
    report = schema["components"]["schemas"]["NewsAnalystOutput"]["properties"]
    assert list(report) == ["symbol", "exchange", "query", "headlines", "analysis", "warnings", "key_sources",
                            "generated_at", "cached"]
    assert json.dumps(operation).count("MISSING_KEY") >= 1
