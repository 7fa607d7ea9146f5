"""apikeys/providers.py against local fakes of the real services (pytest-httpserver) and
sockets that misbehave: every outcome of a key test maps to an error code of docs/api/vault.md."""
from __future__ import annotations

import logging

import pytest
from werkzeug import Response

from apikeys import providers
from apikeys.providers import ErrorCode, ProviderError
from tests.apikeys.conftest import VALID_KEYS
from tests.apikeys.fake_providers import FAILURES, SERVICES

HTTP_TYPES = ["google_api", "news_api", "finnhub_api", "fmp_api"]
KEY_HEADERS = {"google_api": "x-goog-api-key", "news_api": "X-Api-Key", "finnhub_api": "X-Finnhub-Token"}


@pytest.mark.parametrize("key_type", HTTP_TYPES)
def test_a_valid_key_travels_where_the_service_reads_it_and_passes(fake_providers, key_type):
    result = providers.run_key_test(key_type, VALID_KEYS[key_type])
    assert (result.status, result.error_code, result.message) == ("success", None, "API key is valid and working")
    assert result.service == key_type and result.response_time_ms >= 0
    [request] = fake_providers.requests_to(key_type)
    expected_query = dict(SERVICES[key_type].query)
    if key_type == "fmp_api":
        expected_query["apikey"] = VALID_KEYS[key_type]
        assert not any(h.lower() in {k.lower() for k in request.headers.keys()} for h in KEY_HEADERS.values())
    else:
        assert request.headers[KEY_HEADERS[key_type]] == VALID_KEYS[key_type]
    assert dict(request.args) == expected_query  # the key is in the query string only for FMP
    assert "Authorization" not in request.headers


@pytest.mark.parametrize("key_type", HTTP_TYPES)
def test_a_wrong_key_is_unauthorized_in_each_services_own_answer(fake_providers, key_type):
    # Google says 400 API_KEY_INVALID, NewsAPI 401 apiKeyInvalid, Finnhub 401 {"error"}, FMP 401 {"Error Message"}.
    result = providers.run_key_test(key_type, "not-the-right-key-42")
    assert result.status == "error"
    assert result.error_code == ErrorCode.UNAUTHORIZED
    assert result.message == "Invalid API key or service unavailable"


@pytest.mark.parametrize(("key_type", "code"), sorted(FAILURES))
def test_each_real_failure_answer_maps_to_its_error_code(fake_providers, key_type, code):
    fake_providers.fail_next(key_type, code)
    result = providers.run_key_test(key_type, VALID_KEYS[key_type])
    assert (result.status, result.error_code) == ("error", code)
    assert result.message == providers.MESSAGES[code]


@pytest.mark.parametrize(
    ("key_type", "body", "code"),
    [
        ("finnhub_api", {"error": "Invalid API key"}, ErrorCode.UNAUTHORIZED),
        ("finnhub_api", {"error": "Something went wrong on our side"}, ErrorCode.INVALID_RESPONSE),
        ("fmp_api", {"Error Message": "Invalid API KEY. Feel free to create a Free API Key."}, ErrorCode.UNAUTHORIZED),
        ("fmp_api", {"Error Message": "Limit Reach . Please upgrade your plan"}, ErrorCode.RATE_LIMITED),
        ("fmp_api", {"Error Message": "Exclusive Endpoint : not available under your current subscription"},
         ErrorCode.FORBIDDEN),
        ("news_api", {"status": "error", "code": "apiKeyDisabled", "message": "Your API key has been disabled."},
         ErrorCode.UNAUTHORIZED),
    ],
)
def test_errors_reported_inside_a_200_answer_are_read_from_the_body(fake_providers, key_type, body, code):
    fake_providers.next_answer(key_type, body, 200)
    assert providers.run_key_test(key_type, VALID_KEYS[key_type]).error_code == code


@pytest.mark.parametrize("key_type", HTTP_TYPES)
def test_a_non_json_success_answer_is_an_invalid_response(fake_providers, key_type):
    fake_providers.next_answer(key_type, "<html><body>Captive portal: please sign in</body></html>", 200)
    assert providers.run_key_test(key_type, VALID_KEYS[key_type]).error_code == ErrorCode.INVALID_RESPONSE


@pytest.mark.parametrize(
    ("key_type", "body"),
    [
        ("google_api", {"kind": "something/else"}),
        ("news_api", {"status": "ok"}),
        ("finnhub_api", {"quote": "AAPL"}),
        ("fmp_api", {"symbol": "AAPL"}),
        ("fmp_api", "null"),
    ],
)
def test_json_of_the_wrong_shape_is_an_invalid_response(fake_providers, key_type, body):
    if isinstance(body, str):
        fake_providers.next_answer(key_type, body, 200, content_type="application/json")
    else:
        fake_providers.next_answer(key_type, body, 200)
    assert providers.run_key_test(key_type, VALID_KEYS[key_type]).error_code == ErrorCode.INVALID_RESPONSE


@pytest.mark.parametrize("key_type", HTTP_TYPES)
def test_a_server_that_never_answers_is_a_timeout(silent_server, point_providers_at, key_type):
    point_providers_at(silent_server.url, timeout=0.3)
    result = providers.run_key_test(key_type, VALID_KEYS[key_type])
    assert result.error_code == ErrorCode.TIMEOUT
    assert result.response_time_ms >= 250  # it waited for the configured timeout, then gave up


def test_an_answer_that_stops_halfway_is_a_timeout(stalling_server, point_providers_at):
    point_providers_at(stalling_server.url, timeout=0.3)
    assert providers.run_key_test("google_api", VALID_KEYS["google_api"]).error_code == ErrorCode.TIMEOUT


@pytest.mark.parametrize("key_type", HTTP_TYPES)
def test_a_closed_port_is_a_network_error(closed_port, point_providers_at, key_type):
    point_providers_at(closed_port)
    assert providers.run_key_test(key_type, VALID_KEYS[key_type]).error_code == ErrorCode.NETWORK_ERROR


def test_a_tls_failure_is_a_network_error(fake_providers, point_providers_at):
    # https:// to a plain-HTTP server: the TLS handshake fails.
    point_providers_at(fake_providers.base_url.replace("http://", "https://"))
    assert providers.run_key_test("news_api", VALID_KEYS["news_api"]).error_code == ErrorCode.NETWORK_ERROR


def test_an_unusable_base_url_is_a_network_error(point_providers_at):
    point_providers_at("not a url at all")
    result = providers.run_key_test("fmp_api", VALID_KEYS["fmp_api"])
    assert result.error_code == ErrorCode.NETWORK_ERROR
    assert VALID_KEYS["fmp_api"] not in result.message


@pytest.mark.parametrize("key_type", ["news_api", "fmp_api"])
def test_a_redirect_is_not_followed_so_the_key_never_reaches_another_place(fake_providers, httpserver, key_type):
    path = SERVICES[key_type].path
    httpserver.expect_oneshot_request(path).respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/collector")})
    )
    httpserver.expect_request("/collector").respond_with_json({"models": [], "status": "ok", "articles": []})
    result = providers.run_key_test(key_type, VALID_KEYS[key_type])
    assert result.error_code == ErrorCode.INVALID_RESPONSE
    assert [r for r, _ in httpserver.log if r.path == "/collector"] == []


def test_an_oversized_answer_is_an_invalid_response(fake_providers):
    fake_providers.next_answer("fmp_api", "[" + ",".join(["1"] * 1_500_000) + "]", 200, content_type="application/json")
    assert providers.run_key_test("fmp_api", VALID_KEYS["fmp_api"]).error_code == ErrorCode.INVALID_RESPONSE


def test_general_keys_are_unsupported_and_nothing_is_called(fake_providers, httpserver):
    result = providers.run_key_test("general", VALID_KEYS["general"])
    assert (result.status, result.error_code, result.response_time_ms) == ("error", ErrorCode.UNSUPPORTED, 0)
    assert httpserver.log == []


def test_base_urls_and_timeout_are_read_at_call_time(fake_providers, settings, closed_port):
    assert providers.run_key_test("news_api", VALID_KEYS["news_api"]).status == "success"
    settings.NEWS_API_BASE_URL = closed_port
    assert providers.run_key_test("news_api", VALID_KEYS["news_api"]).error_code == ErrorCode.NETWORK_ERROR


def test_failures_never_carry_the_key_in_messages_exceptions_or_logs(closed_port, point_providers_at, caplog):
    """requests' own exception text for FMP holds the URL, apikey included."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    try:
        point_providers_at(closed_port)
        key = VALID_KEYS["fmp_api"]
        with pytest.raises(ProviderError) as caught:
            providers.get("fmp_api").request("/stable/quote", api_key=key, params={"symbol": "AAPL"})
        result = providers.run_key_test("fmp_api", key)
    finally:
        logging.getLogger("urllib3").setLevel(logging.NOTSET)
    assert caught.value.code == ErrorCode.NETWORK_ERROR
    assert caught.value.__suppress_context__  # a traceback never prints the requests error (URL with apikey=)
    for text in (str(caught.value), repr(caught.value), caught.value.message, result.message):
        assert key not in text and "apikey" not in text
    assert caplog.records and key not in caplog.text


def test_request_is_reusable_for_other_calls_with_the_same_error_mapping(fake_providers, httpserver):
    """What the agents use: any path on the service, same key placement, same codes."""
    httpserver.expect_request("/v2/everything", query_string={"q": "AAPL"}).respond_with_handler(
        lambda request: SERVICES["news_api"].answer(request, VALID_KEYS["news_api"])
    )
    answer = providers.get("news_api").request("/v2/everything", api_key=VALID_KEYS["news_api"], params={"q": "AAPL"})
    assert answer.status_code == 200 and answer.body["status"] == "ok"
    with pytest.raises(ProviderError) as caught:
        providers.get("news_api").request("/v2/everything", api_key="wrong-key-0000", params={"q": "AAPL"})
    assert (caught.value.code, caught.value.http_status) == (ErrorCode.UNAUTHORIZED, 401)


def test_a_new_provider_is_one_small_class(httpserver, settings):
    settings.EXAMPLE_API_BASE_URL = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request("/v1/me", headers={"X-Example-Key": "example-key-123"}).respond_with_json({"ok": True})
    httpserver.expect_request("/v1/me").respond_with_json({"error": "bad key"}, status=401)

    class ExampleProvider(providers.Provider):
        key_type = "example_api"
        base_url_setting = "EXAMPLE_API_BASE_URL"
        test_path = "/v1/me"
        key_header = "X-Example-Key"

    providers.register(ExampleProvider)
    try:
        assert providers.run_key_test("example_api", "example-key-123").status == "success"
        assert providers.run_key_test("example_api", "wrong-key-456").error_code == ErrorCode.UNAUTHORIZED
    finally:
        providers._REGISTRY.pop("example_api")


@pytest.mark.parametrize(
    ("status", "code"),
    [(200, None), (204, None), (301, "INVALID_RESPONSE"), (400, "INVALID_RESPONSE"), (401, "UNAUTHORIZED"),
     (402, "FORBIDDEN"), (403, "FORBIDDEN"), (404, "INVALID_RESPONSE"), (429, "RATE_LIMITED"),
     (500, "SERVICE_ERROR"), (503, "SERVICE_ERROR")],
)
def test_http_status_classification(status, code):
    assert providers.classify_status(status) == code
