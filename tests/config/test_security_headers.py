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
