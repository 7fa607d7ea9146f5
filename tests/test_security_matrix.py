"""Who may call what, over every HTTP endpoint of the Bruno collection (which a coverage
test keeps equal to the URLconf's API): anonymous callers, bad or missing platform keys,
expired or forged JWTs, session posts without CSRF and other users' ids all get the
right 401/403/404, never data."""
from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apikeys import services, vault
from playground import catalog
from playground.bruno import substitute

pytestmark = pytest.mark.django_db

COLLECTION = catalog.collection_load()
HTTP = [r for r in COLLECTION.requests if r.kind == "http"]
SAMPLE_VARS = {**COLLECTION.environments["local"]["vars"], "apikey": "", "token": ""}


def _is_key_endpoint(request) -> bool:
    return isinstance(request.body, dict) and "apikey" in request.body


KEY_ENDPOINTS = [r for r in HTTP if _is_key_endpoint(r)]
JWT_ENDPOINTS = [r for r in HTTP if r.auth == "bearer"]
PUBLIC = {"/healthz", "/readyz", "/api/schema/", "/api/v1/auth/token/", "/api/v1/auth/token/refresh/",
          "/api/v1/auth/register/", "/api/v1/auth/token/blacklist/"}


# Authenticated by the secret id in the URL (a webhook strategy's), not by a key or a JWT.
SECRET_URL = {"/strategy/webhook/{{webhook_id}}", "/chartink/webhook/{{webhook_id}}"}


def test_every_endpoint_is_in_exactly_one_group():
    grouped = {(r.method, r.path) for r in KEY_ENDPOINTS + JWT_ENDPOINTS} | {("*", p) for p in PUBLIC}
    assert all((r.method, r.path) in grouped or r.path in PUBLIC | SECRET_URL for r in HTTP)
    assert not {(r.method, r.path) for r in KEY_ENDPOINTS} & {(r.method, r.path) for r in JWT_ENDPOINTS}
    assert len(KEY_ENDPOINTS) >= 10 and len(JWT_ENDPOINTS) >= 10


def call(client: APIClient, request, *, body_changes: dict | None = None, drop: tuple = (), path_vars=None):
    path = substitute(request.path, {**SAMPLE_VARS, **(path_vars or {})}, default="1")
    body = None
    if isinstance(request.body, dict):
        body = {k: substitute(v, SAMPLE_VARS) if isinstance(v, str) else v for k, v in request.body.items() if k not in drop}
        body.update(body_changes or {})
    method = getattr(client, request.method.lower())
    if request.method in {"GET", "DELETE"}:
        return method(path, request.query or None)
    return method(path, body, format="json")


def _label(request) -> str:
    return f"{request.method} {request.path}"


# --- platform-key endpoints --------------------------------------------------------------
@pytest.mark.parametrize("request_", KEY_ENDPOINTS, ids=_label)
def test_key_endpoints_refuse_a_missing_key(request_):
    response = call(APIClient(), request_, drop=("apikey",))
    assert response.status_code in {400, 403}
    assert response.json()["status"] == "error" and "apikey" in response.json()["message"]


@pytest.mark.parametrize("request_", KEY_ENDPOINTS, ids=_label)
@pytest.mark.parametrize("bad", ["0" * 64, "not-a-key", "A" * 64])
def test_key_endpoints_refuse_a_bad_key_with_openalgos_answer(request_, bad):
    response = call(APIClient(), request_, body_changes={"apikey": bad})
    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": "Invalid openalgo apikey"}


@pytest.mark.parametrize("request_", KEY_ENDPOINTS, ids=_label)
def test_key_endpoints_refuse_a_revoked_key(request_, user, platform_key):
    services.platform_key_revoke(user=user)
    response = call(APIClient(), request_, body_changes={"apikey": platform_key})
    assert response.status_code == 403 and response.json()["message"] == "Invalid openalgo apikey"


# The pending-order list also serves the Action Center page (session) and JWT clients.
KEY_ONLY = [r for r in KEY_ENDPOINTS if r.path != "/api/v1/pendingorders"]


@pytest.mark.parametrize("request_", KEY_ONLY, ids=_label)
def test_a_jwt_or_session_does_not_open_key_only_endpoints(request_, api, user):
    assert call(api, request_, drop=("apikey",)).status_code in {400, 403}
    session = APIClient()
    session.force_login(user)
    assert call(session, request_, drop=("apikey",)).status_code in {400, 403}


# --- JWT / session endpoints ---------------------------------------------------------------
def _expired_token(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=5))
    return str(token)


def _forged_token(user) -> str:
    import jwt

    payload = {"token_type": "access", "user_id": str(user.pk), "exp": 4102444800, "jti": "forged"}
    return jwt.encode(payload, "not-our-secret-key-" * 3, algorithm="HS256")


@pytest.mark.parametrize("request_", JWT_ENDPOINTS, ids=_label)
def test_jwt_endpoints_refuse_anonymous_expired_and_forged_tokens(request_, user):
    assert call(APIClient(), request_).status_code == 401
    for token in (_expired_token(user), _forged_token(user), "garbage.token.here"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = call(client, request_)
        assert response.status_code == 401, token
        assert "api_key" not in response.json()


@pytest.mark.parametrize("request_", [r for r in JWT_ENDPOINTS if r.method != "GET"], ids=_label)
def test_session_writes_without_csrf_are_refused(request_, user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = call(client, request_)
    assert response.status_code == 403 and "CSRF" in response.content.decode()


def test_a_platform_key_does_not_open_jwt_endpoints(platform_key):
    for request_ in JWT_ENDPOINTS:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=platform_key)
        assert call(client, request_).status_code == 401, _label(request_)


def test_a_blacklisted_refresh_token_cannot_be_used_again(user):
    refresh = str(RefreshToken.for_user(user))
    client = APIClient()
    assert client.post("/api/v1/auth/token/blacklist/", {"refresh": refresh}, format="json").status_code == 200
    again = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 401 and "access" not in again.json()


# --- other users' objects ------------------------------------------------------------------
VAULT_BY_ID = [r for r in JWT_ENDPOINTS if "{{vault_key_id}}" in r.path]
PENDING_BY_ID = [r for r in JWT_ENDPOINTS if "{{pending_order_id}}" in r.path]
PLATFORM_KEY_BY_ID = [r for r in JWT_ENDPOINTS if "{{platform_key_id}}" in r.path]


@pytest.mark.parametrize("request_", VAULT_BY_ID, ids=_label)
def test_another_users_vault_key_is_not_found(request_, user, other_api):
    secret_name = "owners-private-label"
    key = vault.service_key_create(user=user, key_type="news_api", api_key="nk-owner-0123456789", key_name=secret_name)
    response = call(other_api, request_, path_vars={"vault_key_id": str(key.pk)})
    assert response.status_code == 404 and response.json() == {"detail": "API key not found"}
    key.refresh_from_db()
    assert key.is_active and key.key_name == secret_name  # nothing changed either


@pytest.mark.parametrize("request_", PLATFORM_KEY_BY_ID, ids=_label)
def test_another_users_platform_key_is_not_found(request_, user, other_api):
    key, plaintext = services.key_create(user=user, name="owners-private-label")
    response = call(other_api, request_, path_vars={"platform_key_id": str(key.pk)})
    assert response.status_code == 404 and response.json() == {"detail": "No such key of yours."}
    assert plaintext not in response.content.decode() and "owners-private-label" not in response.content.decode()
    key.refresh_from_db()
    assert key.has_key and key.scopes == ["read:market", "read:account", "write:orders"]  # nothing changed


@pytest.mark.parametrize("request_", PENDING_BY_ID, ids=_label)
def test_another_users_pending_order_is_not_found(request_, user, platform_key, other_api):
    services.platform_key_set_mode(user=user, mode="semi_auto")
    queued = APIClient().post("/api/v1/placeorder", {
        "apikey": platform_key, "strategy": "T", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
        "pricetype": "MARKET", "product": "MIS", "quantity": "1",
    }, format="json").json()
    response = call(other_api, request_, path_vars={"pending_order_id": str(queued["pending_order_id"])})
    assert response.status_code == 404
    assert "SBIN" not in response.content.decode()


@pytest.mark.parametrize("endpoint", ["orderstatus", "cancelorder"])
def test_another_users_order_is_invisible_to_my_key(endpoint, user, platform_key, other_user):
    placed = APIClient().post("/api/v1/placeorder", {
        "apikey": platform_key, "strategy": "T", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
        "pricetype": "LIMIT", "price": "1", "product": "MIS", "quantity": "1",
    }, format="json").json()
    _, other_key = services.platform_key_regenerate(user=other_user)
    response = APIClient().post(f"/api/v1/{endpoint}", {"apikey": other_key, "orderid": placed["orderid"],
                                                        "strategy": "T"}, format="json")
    assert 400 <= response.status_code < 500 and response.json()["status"] == "error"
    assert "SBIN" not in response.content.decode()
    mine = APIClient().post("/api/v1/orderstatus", {"apikey": platform_key, "orderid": placed["orderid"],
                                                    "strategy": "T"}, format="json").json()
    assert mine["data"]["order_status"] == "open"  # the owner's order was not cancelled


@pytest.mark.parametrize("request_", [r for r in HTTP if r.path in SECRET_URL], ids=_label)
@pytest.mark.parametrize("secret", ["0" * 64, "not-an-id", "%2e%2e"])
def test_secret_url_endpoints_refuse_an_unknown_secret_and_ignore_keys(request_, secret, platform_key):
    response = call(APIClient(), request_, body_changes={"apikey": platform_key}, path_vars={"webhook_id": secret})
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Invalid webhook ID"}
