"""Browser clients on other origins (the JavaScript ``APIKeyService`` of docs/api/vault.md) reach the
vault only from origins listed in CORS_ALLOWED_ORIGINS; none by default."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]

APP = "https://trading-app.example"
URL = "/api/v1/api-keys/"


def preflight(client, path: str, origin: str = APP, method: str = "POST"):
    return client.options(
        path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )


def test_no_origin_is_allowed_by_default(api, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    assert "access-control-allow-origin" not in preflight(api, URL).headers
    assert "access-control-allow-origin" not in api.get(URL, HTTP_ORIGIN=APP).headers


def test_a_configured_origin_can_run_the_seeds_javascript_workflow(api, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    for path in (URL, f"{URL}test-by-type/general", "/api/v1/api-keys"):
        answer = preflight(api, path)
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == APP
        allowed_headers = answer.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed_headers and "content-type" in allowed_headers
        assert "POST" in answer.headers["access-control-allow-methods"]
    created = api.post(URL, {"key_type": "general", "api_key": "browser-made-key-1"}, format="json", HTTP_ORIGIN=APP)
    assert created.status_code == 201 and created.headers["access-control-allow-origin"] == APP
    tested = api.post(f"{URL}test-by-type/general", HTTP_ORIGIN=APP)
    assert tested.headers["access-control-allow-origin"] == APP
    listed = api.get(f"{URL}?include_inactive=false", HTTP_ORIGIN=APP)
    assert listed.headers["access-control-allow-origin"] == APP and len(listed.json()) == 1


def test_other_origins_and_non_api_paths_get_no_cors_headers(api, client, settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    assert "access-control-allow-origin" not in preflight(api, URL, origin="https://evil.example").headers
    assert "access-control-allow-origin" not in api.get(URL, HTTP_ORIGIN="https://evil.example").headers
    assert "access-control-allow-origin" not in client.get("/admin/login/", HTTP_ORIGIN=APP).headers
