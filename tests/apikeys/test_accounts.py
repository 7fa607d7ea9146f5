"""Accounts: JWT obtain/refresh/blacklist, sign-up switch, login pages, schema and docs."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.support.openapi import assert_documented

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


def obtain(anon, username="alice", password=PASSWORD):
    return anon.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def test_jwt_pair_unlocks_the_api_and_refresh_rotates(anon, user):
    tokens = obtain(anon).json()
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert anon.get("/api/v1/apikey/").status_code == 200
    refreshed = anon.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200 and refreshed.json()["access"]


def test_wrong_password_gets_401_without_detail_about_which_part_was_wrong(anon, user):
    wrong_password = obtain(anon, password="nope")
    no_such_user = obtain(anon, username="nobody")
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.json() == no_such_user.json()
    assert_documented(anon, "POST", "/api/v1/auth/token/", wrong_password)


def test_blacklisted_refresh_token_cannot_be_used_again(anon, user):
    refresh = obtain(anon).json()["refresh"]
    assert anon.post("/api/v1/auth/token/blacklist/", {"refresh": refresh}, format="json").status_code == 200
    again = anon.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 401
    assert_documented(anon, "POST", "/api/v1/auth/token/refresh/", again)
    twice = anon.post("/api/v1/auth/token/blacklist/", {"refresh": refresh}, format="json")
    assert twice.status_code == 401
    assert_documented(anon, "POST", "/api/v1/auth/token/blacklist/", twice)


# Found by schemathesis: simplejwt's views documented only their 200, so every 400 and
# 401 they give was off the schema.
@pytest.mark.parametrize("path", ["/api/v1/auth/token/refresh/", "/api/v1/auth/token/blacklist/"])
@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": "garbage"}, {"refresh": 5}, ["x"]])
def test_bad_refresh_bodies_are_documented_4xx(anon, path, body):
    response = anon.post(path, body, format="json")
    assert response.status_code in (400, 401)
    assert_documented(anon, "POST", path, response)


@pytest.mark.parametrize("body", [{}, {"username": "alice"}, {"username": "", "password": ""}, ["x"]])
def test_bad_token_bodies_are_documented_400s(anon, user, body):
    response = anon.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 400
    assert_documented(anon, "POST", "/api/v1/auth/token/", response)


def test_a_good_sign_in_and_sign_out_match_the_schema(anon, user):
    signed_in = obtain(anon)
    assert_documented(anon, "POST", "/api/v1/auth/token/", signed_in)
    refresh = signed_in.json()["refresh"]
    refreshed = anon.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert_documented(anon, "POST", "/api/v1/auth/token/refresh/", refreshed)
    signed_out = anon.post("/api/v1/auth/token/blacklist/", {"refresh": refreshed.json()["refresh"]}, format="json")
    assert signed_out.status_code == 200
    assert_documented(anon, "POST", "/api/v1/auth/token/blacklist/", signed_out)


def test_an_invalid_bearer_token_is_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert anon.get("/api/v1/apikey/").status_code == 401


def test_signup_is_off_by_default(anon):
    response = anon.post("/api/v1/auth/register/", {"username": "newbie", "password": PASSWORD}, format="json")
    assert response.status_code == 403
    assert_documented(anon, "POST", "/api/v1/auth/register/", response)
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_signup_when_allowed_creates_a_user_who_can_log_in(anon, settings):
    settings.ALLOW_SIGNUP = True
    response = anon.post("/api/v1/auth/register", {"username": "newbie", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert response.json()["username"] == "newbie"
    assert obtain(anon, "newbie").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"username": "newbie", "password": "123"},
        {"username": "bad name!", "password": PASSWORD},
        {"username": "x" * 151, "password": PASSWORD},
        {"username": "alice", "password": PASSWORD},
        {"username": "ALICE", "password": PASSWORD},
        {"password": PASSWORD},
        {"username": ["newbie"], "password": PASSWORD},
        {"username": "newbie", "password": PASSWORD, "email": "not-an-email"},
        "just a string",
    ],
)
def test_signup_rejects_bad_input_with_400(anon, settings, user, body):
    settings.ALLOW_SIGNUP = True
    response = anon.post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400
    assert_documented(anon, "POST", "/api/v1/auth/register/", response)  # found by schemathesis: 400 was undocumented


def test_login_page_signs_in_and_logout_signs_out(client, user):
    page = client.get("/login/")
    assert page.status_code == 200 and b"Sign in" in page.content
    done = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/apikey/"
    assert client.get("/apikey/").status_code == 200
    client.post("/logout/")
    assert client.get("/apikey/").status_code == 302


def test_schema_and_swagger_ui_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/apikey/" in paths or "/api/v1/apikey" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_healthz_answers_without_auth(anon):
    assert anon.get("/healthz").json() == {"status": "ok"}


def test_password_guessing_is_throttled_on_the_token_endpoint_and_the_form(client, make_user, settings):
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "4/min"}}
    make_user("victim")
    api = APIClient()
    codes = [api.post("/api/v1/auth/token/", {"username": "victim", "password": f"guess-{i}"}, format="json").status_code
             for i in range(3)]
    assert codes == [401, 401, 401]
    form = client.post("/login/", {"username": "victim", "password": "guess-3"})
    assert form.status_code == 200  # the fourth attempt: a wrong password, shown as such
    refused = client.post("/login/", {"username": "victim", "password": "correct-horse-battery-9"})
    assert refused.status_code == 429 and b"Too many sign-in attempts" in refused.content
    assert "_auth_user_id" not in client.session  # even the right password waits
    assert api.post("/api/v1/auth/token/", {"username": "victim", "password": "x"}, format="json").status_code == 429
