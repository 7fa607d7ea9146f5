"""Security headers on every kind of answer, and secure cookies under production settings."""
from __future__ import annotations

import json

import pytest

from tests.support.processes import run_python, strong_env

pytestmark = pytest.mark.django_db

PAGES = ["/login/", "/apikey/", "/playground/", "/action-center/", "/api/docs/", "/admin/login/"]
API = ["/healthz", "/api/schema/", "/api/v1/ping", "/api/v1/api-keys/"]


@pytest.mark.parametrize("path", PAGES + API)
def test_every_answer_carries_the_security_headers(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code < 500
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PAGES)
def test_our_pages_hold_no_inline_script_or_style(client, user, path):
    client.force_login(user)
    html = client.get(path).content.decode()
    assert "<style" not in html and " style=" not in html
    # <script> elements are external files or JSON data blocks (never executed)
    for chunk in html.split("<script")[1:]:
        tag = chunk.split(">", 1)[0]
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_production_settings_make_cookies_secure_and_turn_on_hsts():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.DEBUG]))"
    )
    result = run_python(code, strong_env(DEBUG="False", HTTPS_ONLY="True", ALLOWED_HOSTS="keyward.example.com"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, True, True, True, 31536000, False]


# --- config/csp.py: django-csp's headers, built once ------------------------------------

def _through(middleware_class, view=None, *, read_nonce=False):
    """One GET through ``middleware_class`` alone: (request, response)."""
    from django.http import JsonResponse
    from django.test import RequestFactory

    request = RequestFactory().get("/healthz")

    def answer(req):
        if read_nonce:
            str(req.csp_nonce)
        return (view or (lambda r: JsonResponse({"status": "ok"})))(req)

    middleware = middleware_class(answer)
    return request, middleware(request)


def _csp_headers(response) -> dict:
    return {name: response.get(name) for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")}


REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/csp-report/"}}


@pytest.mark.parametrize("report_only", [None, REPORT_ONLY])
def test_headers_are_django_csps_own(settings, report_only):
    from csp.middleware import CSPMiddleware as Stock

    from config.csp import CSPMiddleware

    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = report_only
    ours, stock = _csp_headers(_through(CSPMiddleware)[1]), _csp_headers(_through(Stock)[1])
    assert ours == stock
    assert "default-src 'self'" in ours["Content-Security-Policy"]
    assert (ours["Content-Security-Policy-Report-Only"] is not None) == (report_only is not None)


def test_headers_follow_a_change_of_settings(settings):
    from config.csp import CSPMiddleware

    before = _through(CSPMiddleware)[1]["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert before != _through(CSPMiddleware)[1]["Content-Security-Policy"] == "default-src 'none'"


def test_a_nonce_read_during_the_request_is_in_the_header(settings):
    from csp.constants import NONCE

    from config.csp import CSPMiddleware

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    request, response = _through(CSPMiddleware, read_nonce=True)
    assert f"'nonce-{request.csp_nonce}'" in response["Content-Security-Policy"]


def test_a_views_decorator_still_changes_its_header():
    from csp.decorators import csp_exempt, csp_update
    from django.http import JsonResponse

    from config.csp import CSPMiddleware

    updated = csp_update({"img-src": "https://charts.example"})(lambda r: JsonResponse({}))
    assert "https://charts.example" in _through(CSPMiddleware, updated)[1]["Content-Security-Policy"]
    exempt = csp_exempt()(lambda r: JsonResponse({}))
    assert "Content-Security-Policy" not in _through(CSPMiddleware, exempt)[1]


def test_a_nonce_asked_for_after_the_header_is_written_is_refused():
    from csp.exceptions import CSPNonceError

    from config.csp import CSPMiddleware

    request, _response = _through(CSPMiddleware)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_excluded_url_prefixes_are_still_left_without_a_header(settings):
    from config.csp import CSPMiddleware

    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/healthz"]}
    assert "Content-Security-Policy" not in _through(CSPMiddleware)[1]
