"""POST /api/v1/api-keys/test-by-id/{id} and /test-by-type/{key_type} (docs/api/vault.md), with the
providers replaced by local fakes that speak their real shapes: the documented workflow,
every error code from a real condition, and what a test records on the key."""
from __future__ import annotations

import re

import pytest

from apikeys.models import ServiceApiKey
from tests.apikeys.conftest import VALID_KEYS
from tests.support.openapi import assert_documented

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]

URL = "/api/v1/api-keys/"
SUCCESS_FIELDS = ["status", "service", "message", "response_time_ms", "tested_at"]
ERROR_FIELDS = ["status", "service", "message", "error_code", "response_time_ms", "tested_at"]
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_the_seeds_curl_workflow_create_test_by_type_list(api, fake_providers):
    # 1. Create a News API key
    created = api.post(URL, {"key_type": "news_api", "api_key": VALID_KEYS["news_api"],
                             "key_name": "My Primary News Key"}, format="json")
    assert created.status_code == 201
    # 2. Test the API key (docs/api/vault.md's example URL has no trailing slash)
    tested = api.post("/api/v1/api-keys/test-by-type/news_api")
    assert tested.status_code == 200
    result = tested.json()
    assert list(result) == SUCCESS_FIELDS
    assert result["status"] == "success" and result["service"] == "news_api"
    assert result["message"] == "API key is valid and working"
    assert isinstance(result["response_time_ms"], int) and ISO_Z.match(result["tested_at"])
    [request] = fake_providers.requests_to("news_api")
    assert request.headers["X-Api-Key"] == VALID_KEYS["news_api"]  # the stored key really went out
    # 3. Get all your keys (the JavaScript example's form of the URL)
    listed = api.get("/api/v1/api-keys/?include_inactive=false")
    assert listed.status_code == 200
    assert listed.json() == [created.json()]


@pytest.mark.parametrize("key_type", ["google_api", "news_api", "finnhub_api", "fmp_api"])
def test_test_by_id_and_by_type_pass_for_each_service(api, fake_providers, store_key, key_type):
    key = store_key(key_type)
    by_id = api.post(f"{URL}test-by-id/{key['id']}").json()
    by_type = api.post(f"{URL}test-by-type/{key_type}/").json()
    for result in (by_id, by_type):
        assert (result["status"], result["service"]) == ("success", key_type)
    assert len(fake_providers.requests_to(key_type)) == 2


def _store_and_prepare(code, store_key, fake_providers, point_providers_at, silent_server, closed_port):
    """Set up the real condition behind ``code``; returns the key type to test."""
    if code == "UNAUTHORIZED":
        store_key("google_api", api_key="AIzaSy-revoked-key-000000000")
        return "google_api"
    if code == "FORBIDDEN":
        store_key("finnhub_api")
        fake_providers.fail_next("finnhub_api", "FORBIDDEN")
        return "finnhub_api"
    if code == "RATE_LIMITED":
        store_key("news_api")
        fake_providers.fail_next("news_api", "RATE_LIMITED")
        return "news_api"
    if code == "SERVICE_ERROR":
        store_key("fmp_api")
        fake_providers.fail_next("fmp_api", "SERVICE_ERROR")
        return "fmp_api"
    if code == "INVALID_RESPONSE":
        store_key("news_api")
        fake_providers.next_answer("news_api", "<html>Service moved</html>", 200)
        return "news_api"
    if code == "TIMEOUT":
        store_key("fmp_api")
        point_providers_at(silent_server.url, timeout=0.3)
        return "fmp_api"
    if code == "NETWORK_ERROR":
        store_key("google_api")
        point_providers_at(closed_port)
        return "google_api"
    if code == "UNSUPPORTED":
        store_key("general")
        return "general"
    raise AssertionError(code)


@pytest.mark.parametrize(
    "code",
    ["UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED", "TIMEOUT", "NETWORK_ERROR", "SERVICE_ERROR", "INVALID_RESPONSE",
     "UNSUPPORTED"],
)
def test_every_error_code_reaches_the_user_as_a_200_test_result(
    api, store_key, fake_providers, point_providers_at, silent_server, closed_port, code
):
    key_type = _store_and_prepare(code, store_key, fake_providers, point_providers_at, silent_server, closed_port)
    response = api.post(f"{URL}test-by-type/{key_type}")
    assert response.status_code == 200
    result = response.json()
    assert list(result) == ERROR_FIELDS
    assert (result["status"], result["service"], result["error_code"]) == ("error", key_type, code)
    assert result["message"] and ISO_Z.match(result["tested_at"])
    assert ServiceApiKey.objects.get(key_type=key_type).last_test_status == code


def test_a_test_records_when_and_how_it_went(api, fake_providers, store_key):
    key = store_key("finnhub_api")
    row = ServiceApiKey.objects.get(pk=key["id"])
    assert (row.last_tested_at, row.last_test_status) == (None, "")
    result = api.post(f"{URL}test-by-id/{key['id']}").json()
    row.refresh_from_db()
    assert row.last_test_status == "success"
    assert row.last_tested_at.strftime("%Y-%m-%dT%H:%M:%SZ") == result["tested_at"]
    fake_providers.fail_next("finnhub_api", "RATE_LIMITED")
    api.post(f"{URL}test-by-id/{key['id']}")
    row.refresh_from_db()
    assert row.last_test_status == "RATE_LIMITED"
    # a test is not a use and not an update
    shown = api.get(f"{URL}{key['id']}").json()
    assert shown["last_used_at"] is None and shown["updated_at"] is None


def test_test_by_id_works_for_an_inactive_key(api, fake_providers, store_key):
    key = store_key("fmp_api")
    api.patch(f"{URL}{key['id']}", {"is_active": False}, format="json")
    assert api.post(f"{URL}test-by-id/{key['id']}").json()["status"] == "success"
    assert api.post(f"{URL}test-by-type/fmp_api").status_code == 404  # by type means the active one


@pytest.mark.parametrize("key_type", ["openai", "NEWS_API", "news", "x" * 300, "news_api%20"])
def test_test_by_type_with_an_unknown_type_lists_the_valid_ones(api, fake_providers, httpserver, key_type):
    response = api.post(f"{URL}test-by-type/{key_type}")
    assert response.status_code == 400
    body = response.json()
    assert body["valid_types"] == ["google_api", "news_api", "finnhub_api", "fmp_api", "general"]
    assert all(t in body["detail"] for t in body["valid_types"])
    assert httpserver.log == []


def test_test_by_type_without_an_active_key_is_404(api, other_api, fake_providers, store_key, httpserver):
    assert api.post(f"{URL}test-by-type/news_api").status_code == 404
    key = store_key("news_api")
    assert other_api.post(f"{URL}test-by-type/news_api").status_code == 404  # someone else's does not count
    api.delete(f"{URL}{key['id']}")
    response = api.post(f"{URL}test-by-type/news_api")
    assert response.status_code == 404
    assert "news_api" in response.json()["detail"]
    assert httpserver.log == []
    # a deleted key is an inactive key to its owner: testing it by id is still possible
    assert api.post(f"{URL}test-by-id/{key['id']}").json()["status"] == "success"
    assert other_api.post(f"{URL}test-by-id/{key['id']}").json() == {"detail": "API key not found"}


def test_test_endpoints_only_take_post(api, store_key):
    key = store_key("general")
    assert api.get(f"{URL}test-by-type/general").status_code == 405
    assert api.get(f"{URL}test-by-id/{key['id']}").status_code == 405


def test_key_tests_are_rate_limited_per_user(api, other_api, store_key, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "service_key_test": "2/min"},
    }
    store_key("general")
    answers = [api.post(f"{URL}test-by-type/general") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert_documented(api, "POST", URL + "test-by-type/{key_type}/", answers[2])  # found by schemathesis
    other_api.post(URL, {"key_type": "general", "api_key": "mallory-general-1"}, format="json")
    assert other_api.post(f"{URL}test-by-type/general").status_code == 200


def test_an_undecryptable_key_is_not_sent_anywhere(api, fake_providers, store_key, settings, httpserver):
    from cryptography.fernet import Fernet

    key = store_key("news_api")
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    response = api.post(f"{URL}test-by-id/{key['id']}")
    assert response.status_code == 503
    assert "FERNET_KEYS" in response.json()["detail"]
    assert httpserver.log == []
    assert ServiceApiKey.objects.get(pk=key["id"]).last_tested_at is None
