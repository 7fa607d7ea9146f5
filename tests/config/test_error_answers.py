"""Errors no view answered, as a client sees them: JSON under /api/ and /playground/
(OpenAlgo's {"status","message"} under /api/v1/ and for any unknown /api/ path, DRF's
{"detail"} elsewhere), the
site's own styled pages everywhere else, and a /favicon.ico."""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = [pytest.mark.django_db]

OPENALGO_404 = {"status": "error", "message": "Not found: no API endpoint at this path (the list is at /api/docs/)"}
DRF_404 = {"detail": "Not found."}
SAMPLE_ARGS = {"key_id": "1", "key_type": "news_api", "pending_order_id": "1", "rest": "notify"}


def assert_json(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    return response.json()


@pytest.mark.parametrize("path", [
    "/api/v1/nope", "/api/v1/nope/", "/api/v1/api-keys/1/extra", "/api/v1/pendingorders/1/approve/more",
    "/api/v1/", "/api/v1", "/api/v1/placeorder/x?apikey=0123",
])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_paths_under_api_v1_answer_openalgos_json_404(client, path, method):
    response = client.generic(method.upper(), path, "{}", content_type="application/json")
    assert assert_json(response, 404) == OPENALGO_404
    assert "0123" not in response.content.decode()


@pytest.mark.parametrize("path", ["/api/", "/api", "/api/nope", "/api/v2/ping", "/api/schema/extra"])
def test_unknown_paths_anywhere_under_api_answer_openalgos_json_404(client, path):
    assert assert_json(client.get(path), 404) == OPENALGO_404
    assert assert_json(client.post(path), 404) == OPENALGO_404


@pytest.mark.parametrize("path", ["/playground/nope", "/playground/endpoints/extra"])
def test_unknown_paths_under_playground_answer_drfs_json_404(client, path):
    assert assert_json(client.get(path), 404) == DRF_404
    assert assert_json(client.post(path), 404) == DRF_404


def test_playground_without_its_slash_goes_to_the_page(client):
    response = client.get("/playground")
    assert response.status_code == 301 and response["Location"] == "/playground/"


def _routes(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern).lstrip("^").removesuffix("$").removesuffix("/?")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith(("api/", "playground/")):
            yield "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE_ARGS[m.group(1)], route)


ROUTES = sorted(set(_routes()))


def test_the_route_list_covers_both_prefixes():
    assert {"/api/v1/ping", "/api/v1/api-keys/1", "/playground/", "/playground/endpoints", "/api/docs/"} <= set(ROUTES)


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_answers_an_unknown_method_with_json(user, path):
    client = Client()
    client.force_login(user)
    for method in ("TRACE", "PROPFIND", "PATCH", "PUT", "DELETE", "POST", "GET"):
        response = client.generic(method, path)
        if response.status_code == 405:
            body = assert_json(response, 405)
            expected = f'Method "{method}" not allowed.'
            assert body in ({"detail": expected}, {"status": "error", "message": expected})
            assert method not in response["Allow"]
        elif response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), (method, response.status_code)


def test_the_playground_page_refuses_a_write_in_json(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/playground/")
    assert assert_json(response, 403) == {"detail": (
        "CSRF check failed: reload the page, or send the X-CSRFToken header with the csrftoken cookie."
    )}
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    body = assert_json(client.post("/playground/"), 405)
    assert body == {"detail": 'Method "POST" not allowed.'}


def test_a_failed_csrf_check_on_a_page_is_still_a_page(client):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403 and response["Content-Type"].startswith("text/html")


@pytest.fixture
def crashing(settings):
    settings.ROOT_URLCONF = "tests.config.crash_urls"
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(("path", "expected"), [
    ("/api/v1/test-crash", {"status": "error", "message": "Internal server error: the request failed on the server"}),
    ("/api/v1/test-crash-drf", {"status": "error", "message": "Internal server error: the request failed on the server"}),
    ("/api/test-crash", {"detail": "A server error occurred."}),
    ("/playground/test-crash", {"detail": "A server error occurred."}),
    ("/strategy/webhook/test-crash", {"status": "error", "message": "Internal server error: the request failed on the server"}),
    ("/chartink/webhook/test-crash", {"status": "error", "message": "Internal server error: the request failed on the server"}),
])
def test_a_crash_under_api_or_playground_is_a_json_500(crashing, path, expected, caplog):
    response = crashing.get(path)
    assert assert_json(response, 500) == expected
    assert "sk-should-not-show" not in response.content.decode() and "boom" not in response.content.decode()
    assert any(r.name == "django.request" and r.levelname == "ERROR" for r in caplog.records)  # still logged


def test_a_database_outage_is_a_503_in_each_paths_own_shape(crashing):
    api = crashing.get("/api/v1/test-db-down")
    assert assert_json(api, 503) == {"status": "error", "message": "Database unavailable, try again shortly"}
    playground = crashing.get("/playground/test-db-down")
    assert assert_json(playground, 503) == {"detail": "Database unavailable, try again shortly"}
    page = crashing.get("/test-db-down")
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html")
    assert "Database unavailable" in page.content.decode() and 'class="topbar"' in page.content.decode()
    for answer in (api, playground, page):
        assert answer["Retry-After"] == "5" and "10.0.0.5" not in answer.content.decode()


def test_a_crash_elsewhere_is_the_sites_styled_500_page(crashing):
    response = crashing.get("/test-crash")
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Something went wrong" in page and "/static/keyward/app.css" in page and 'class="topbar"' in page
    assert "boom" not in page and "Traceback" not in page


def test_an_unknown_page_is_the_sites_styled_404_page(client, user):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<title>404 · Keyward</title>" in page and "Page not found" in page
    assert "/static/keyward/app.css" in page and 'href="/playground/"' in page
    client.force_login(user)
    assert f"Log out {user.username}" in client.get("/no-such-page/").content.decode()  # the usual top bar


def test_a_bad_host_under_the_api_is_a_json_400(client):
    response = client.get("/api/v1/ping", HTTP_HOST="evil.example")
    assert assert_json(response, 400) == {"status": "error", "message": "Bad request"}
    page = client.get("/apikey/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and "Bad request" in page.content.decode() and "topbar" in page.content.decode()


def test_favicon_ico_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # ICO header
    assert "max-age=86400" in response["Cache-Control"]
    assert client.head("/favicon.ico").status_code == 200
    assert client.post("/favicon.ico").status_code == 405
