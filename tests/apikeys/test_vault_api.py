"""/api/v1/api-keys/ (docs/api/vault.md): create, list, get, update, delete, as their users see
them: JWT or session+CSRF, both slash forms, strict input, 404 for other people's keys."""
from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from apikeys.models import ServiceApiKey
from tests.apikeys.conftest import VALID_KEYS
from tests.support.openapi import assert_documented

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]

URL = "/api/v1/api-keys/"
FIELDS = ["id", "key_type", "key_name", "is_active", "masked_key", "created_at", "updated_at", "last_used_at"]
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
NOT_FOUND = {"detail": "API key not found"}
DUPLICATE = {"detail": "API key for this service type already exists"}


def test_create_answers_201_with_the_spec_object_masked(api):
    response = api.post(URL, {"key_type": "news_api", "api_key": VALID_KEYS["news_api"], "key_name": "My News API Key"},
                        format="json")
    assert response.status_code == 201
    body = response.json()
    assert list(body) == FIELDS
    assert body["key_type"] == "news_api" and body["key_name"] == "My News API Key" and body["is_active"] is True
    assert body["masked_key"] == "****5e6f"
    assert ISO_Z.match(body["created_at"])
    assert body["updated_at"] is None and body["last_used_at"] is None
    assert VALID_KEYS["news_api"] not in response.content.decode()


@pytest.mark.parametrize(
    ("key", "masked"),
    [("a" * 36 + "wxyz", "****wxyz"), ("abcdef", "****def"), ("abc", "****c"), ("ab", "****b"), ("x", "****"),
     ("12345678", "****5678")],
)
def test_masking_shows_at_most_four_characters_and_never_more_than_half(api, key, masked):
    body = api.post(URL, {"key_type": "general", "api_key": key, "key_name": "k"}, format="json").json()
    assert body["masked_key"] == masked


def test_key_name_defaults_to_the_service_name(api):
    body = api.post(URL, {"key_type": "fmp_api", "api_key": VALID_KEYS["fmp_api"]}, format="json").json()
    assert body["key_name"] == "Financial Modeling Prep"


def test_a_second_active_key_of_a_type_gets_the_seeds_400(api, store_key):
    first = store_key("news_api")
    response = api.post(URL, {"key_type": "news_api", "api_key": "another-news-key-9999", "key_name": "Second"},
                        format="json")
    assert response.status_code == 400
    assert response.json() == DUPLICATE
    assert ServiceApiKey.objects.filter(key_type="news_api").count() == 1
    store_key("google_api")  # another type is fine
    # once the first is inactive, a new active one of that type is welcome
    assert api.patch(f"{URL}{first['id']}", {"is_active": False}, format="json").status_code == 200
    assert api.post(URL, {"key_type": "news_api", "api_key": "another-news-key-9999"}, format="json").status_code == 201


def test_other_users_keep_their_own_key_of_the_same_type(api, other_api, store_key):
    store_key("news_api")
    response = other_api.post(URL, {"key_type": "news_api", "api_key": "mallorys-news-key-1"}, format="json")
    assert response.status_code == 201


def test_list_is_newest_first_and_active_only_unless_asked(api, store_key):
    news = store_key("news_api")
    google = store_key("google_api")
    fmp = store_key("fmp_api")
    api.patch(f"{URL}{google['id']}", {"is_active": False}, format="json")
    assert [k["id"] for k in api.get(URL).json()] == [fmp["id"], news["id"]]
    for value in ("false", "0", "False"):
        assert [k["id"] for k in api.get(URL, {"include_inactive": value}).json()] == [fmp["id"], news["id"]]
    for value in ("true", "1", "TRUE"):
        listed = api.get(URL, {"include_inactive": value}).json()
        assert [k["id"] for k in listed] == [fmp["id"], google["id"], news["id"]]
        assert all(list(k) == FIELDS for k in listed)


@pytest.mark.parametrize("value", ["maybe", "", "yes", "2", "on", "null"])
def test_include_inactive_must_be_a_boolean(api, value):
    response = api.get(URL, {"include_inactive": value})
    assert response.status_code == 400
    assert "include_inactive" in response.json()
    assert_documented(api, "GET", URL, response)


def test_a_user_sees_only_their_own_keys(api, other_api, store_key):
    store_key("news_api")
    assert other_api.get(URL, {"include_inactive": "true"}).json() == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "{id}", None), ("put", "{id}", {"key_name": "mine now"}), ("patch", "{id}", {"is_active": False}),
        ("delete", "{id}", None), ("post", "test-by-id/{id}", None),
    ],
)
def test_another_users_key_answers_404_exactly_like_a_missing_one(api, other_api, store_key, method, path, body):
    key = store_key("news_api")
    for key_id in (key["id"], key["id"] + 1000):
        response = getattr(other_api, method)(URL + path.format(id=key_id), body, format="json")
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    untouched = api.get(f"{URL}{key['id']}").json()
    assert untouched == key


@pytest.mark.parametrize("key_id", ["abc", "-1", "1.0", "0x1", "99999999999999999999999999", "\u0663", "1 ", "%00"])
def test_ids_that_are_not_integers_answer_404(api, store_key, key_id):
    store_key("news_api")
    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(f"{URL}{key_id}", {"key_name": "x"}, format="json")
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_get_shows_one_key_active_or_not(api, store_key):
    key = store_key("news_api")
    assert api.get(f"{URL}{key['id']}").json() == key
    api.patch(f"{URL}{key['id']}/", {"is_active": False}, format="json")
    shown = api.get(f"{URL}{key['id']}/").json()
    assert shown["is_active"] is False and shown["masked_key"] == key["masked_key"]


def test_put_and_patch_change_name_and_active_and_set_updated_at(api, store_key):
    key = store_key("news_api")
    put = api.put(f"{URL}{key['id']}", {"key_name": "Updated Key Name", "is_active": False}, format="json")
    assert put.status_code == 200
    body = put.json()
    assert list(body) == FIELDS
    assert (body["key_name"], body["is_active"]) == ("Updated Key Name", False)
    assert ISO_Z.match(body["updated_at"])
    assert (body["masked_key"], body["created_at"], body["key_type"]) == (key["masked_key"], key["created_at"], "news_api")
    patched = api.patch(f"{URL}{key['id']}", {"is_active": True}, format="json").json()
    assert (patched["key_name"], patched["is_active"]) == ("Updated Key Name", True)
    assert api.put(f"{URL}{key['id']}", {"key_name": "Only the name"}, format="json").json()["is_active"] is True


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"api_key": "a-new-value-123"}, {"api_key"}),
        ({"key_type": "google_api"}, {"key_type"}),
        ({"key_type": "news_api"}, {"key_type"}),  # even unchanged: the body names it
        ({"key_name": "fine", "api_key": "a-new-value-123"}, {"api_key"}),
        ({"api_key": None, "key_type": None, "is_active": True}, {"api_key", "key_type"}),
    ],
)
def test_an_update_naming_the_key_or_its_type_is_refused_and_changes_nothing(api, store_key, body, fields):
    key = store_key("news_api")
    for method in ("put", "patch"):
        response = getattr(api, method)(f"{URL}{key['id']}", body, format="json")
        assert response.status_code == 400
        errors = response.json()
        assert set(errors) == fields
        assert all("cannot be changed" in errors[f][0] for f in fields)
    assert api.get(f"{URL}{key['id']}").json() == key


def test_reactivating_when_another_key_of_the_type_is_active_is_refused(api, store_key):
    old = store_key("news_api", api_key="old-news-key-0001")
    api.patch(f"{URL}{old['id']}", {"is_active": False}, format="json")
    new = store_key("news_api", api_key="new-news-key-0002")
    response = api.patch(f"{URL}{old['id']}", {"is_active": True, "key_name": "back again"}, format="json")
    assert response.status_code == 400
    assert response.json() == DUPLICATE
    assert_documented(api, "PATCH", URL + "{key_id}/", response)
    shown = api.get(f"{URL}{old['id']}").json()
    assert shown["is_active"] is False and shown["key_name"] == "My key"
    assert api.get(f"{URL}{new['id']}").json()["is_active"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ([], "non_field_errors"),
        (["key_name"], "non_field_errors"),
        ("rename", "non_field_errors"),
        ({"is_active": "yes"}, "is_active"),
        ({"is_active": "true"}, "is_active"),
        ({"is_active": 1}, "is_active"),
        ({"is_active": None}, "is_active"),
        ({"key_name": 5}, "key_name"),
        ({"key_name": None}, "key_name"),
        ({"key_name": ""}, "key_name"),
        ({"key_name": "n" * 101}, "key_name"),
        ({"key_name": ["a"]}, "key_name"),
        ({"key_name": "nul\x00byte"}, "key_name"),
    ],
)
def test_bad_update_bodies_get_400_with_field_messages(api, store_key, body, field):
    key = store_key("news_api")
    response = api.patch(f"{URL}{key['id']}", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert_documented(api, "PATCH", URL + "{key_id}/", response)  # found by schemathesis: 400 had no shape
    assert api.get(f"{URL}{key['id']}").json() == key


def test_delete_marks_the_key_inactive_and_its_owner_still_sees_it(api, store_key):
    key = store_key("news_api")
    kept = store_key("google_api")
    assert api.delete(f"{URL}{key['id']}").status_code == 204
    row = ServiceApiKey.objects.get(pk=key["id"])
    assert row.is_active is False and row.deleted_at is not None
    assert row.reveal() == VALID_KEYS["news_api"]  # kept, so it can be restored
    assert [k["id"] for k in api.get(URL).json()] == [kept["id"]]  # active keys only by default
    listed = api.get(URL, {"include_inactive": "true"}).json()
    assert [(k["id"], k["is_active"]) for k in listed] == [(kept["id"], True), (key["id"], False)]
    deleted = api.get(f"{URL}{key['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["is_active"] is False and deleted.json()["masked_key"] == key["masked_key"]
    assert list(deleted.json()) == FIELDS and ISO_Z.match(deleted.json()["updated_at"])
    assert api.delete(f"{URL}{key['id']}/").status_code == 204  # deleting it again changes nothing
    assert ServiceApiKey.objects.get(pk=key["id"]).deleted_at == row.deleted_at
    store_key("news_api")  # the type is free again


def test_a_deleted_key_stays_invisible_to_other_users(api, other_api, store_key):
    key = store_key("news_api")
    api.delete(f"{URL}{key['id']}")
    assert other_api.get(f"{URL}{key['id']}").json() == NOT_FOUND
    assert other_api.patch(f"{URL}{key['id']}", {"is_active": True}, format="json").json() == NOT_FOUND
    assert other_api.get(URL, {"include_inactive": "true"}).json() == []


def test_its_owner_brings_a_deleted_key_back_with_is_active_true(api, store_key):
    key = store_key("news_api")
    api.delete(f"{URL}{key['id']}")
    response = api.patch(f"{URL}{key['id']}", {"is_active": True}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    row = ServiceApiKey.objects.get(pk=key["id"])
    assert row.is_active is True and row.deleted_at is None
    assert [k["id"] for k in api.get(URL).json()] == [key["id"]]


def test_bringing_a_deleted_key_back_is_refused_while_another_of_its_type_is_active(api, store_key):
    key = store_key("news_api")
    api.delete(f"{URL}{key['id']}")
    replacement = store_key("news_api", api_key="replacement-news-key-77")
    response = api.put(f"{URL}{key['id']}", {"is_active": True}, format="json")
    assert response.status_code == 400
    assert response.json() == DUPLICATE
    assert_documented(api, "PUT", URL + "{key_id}/", response)
    row = ServiceApiKey.objects.get(pk=key["id"])
    assert row.is_active is False and row.deleted_at is not None
    assert [k["id"] for k in api.get(URL).json()] == [replacement["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key_type": "openai", "api_key": "k-123456"}, "key_type"),
        ({"key_type": "NEWS_API", "api_key": "k-123456"}, "key_type"),
        ({"key_type": None, "api_key": "k-123456"}, "key_type"),
        ({"key_type": 3, "api_key": "k-123456"}, "key_type"),
        ({"key_type": ["news_api"], "api_key": "k-123456"}, "key_type"),
        ({"key_type": {"a": 1}, "api_key": "k-123456"}, "key_type"),
        ({"api_key": "k-123456"}, "key_type"),
        ({"key_type": "news_api"}, "api_key"),
        ({"key_type": "news_api", "api_key": ""}, "api_key"),
        ({"key_type": "news_api", "api_key": "   "}, "api_key"),
        ({"key_type": "news_api", "api_key": " leading-space"}, "api_key"),
        ({"key_type": "news_api", "api_key": "trailing-newline\n"}, "api_key"),
        ({"key_type": "news_api", "api_key": "inner space"}, "api_key"),
        ({"key_type": "news_api", "api_key": "tab\there"}, "api_key"),
        ({"key_type": "news_api", "api_key": "k" * 513}, "api_key"),
        ({"key_type": "news_api", "api_key": "ключ-123456"}, "api_key"),
        ({"key_type": "news_api", "api_key": "nul\x00byte"}, "api_key"),
        ({"key_type": "news_api", "api_key": "{{news_api_key}}"}, "api_key"),
        ({"key_type": "news_api", "api_key": "prefix-{{key}}"}, "api_key"),
        ({"key_type": "news_api", "api_key": 1234567}, "api_key"),
        ({"key_type": "news_api", "api_key": True}, "api_key"),
        ({"key_type": "news_api", "api_key": None}, "api_key"),
        ({"key_type": "news_api", "api_key": ["k-123456"]}, "api_key"),
        ({"key_type": "news_api", "api_key": "k-123456", "key_name": "n" * 101}, "key_name"),
        ({"key_type": "news_api", "api_key": "k-123456", "key_name": ""}, "key_name"),
        ({"key_type": "news_api", "api_key": "k-123456", "key_name": 42}, "key_name"),
        ({"key_type": "news_api", "api_key": "k-123456", "key_name": None}, "key_name"),
        ([{"key_type": "news_api", "api_key": "k-123456"}], "non_field_errors"),
        ("news_api", "non_field_errors"),
        (12, "non_field_errors"),
    ],
)
def test_bad_create_bodies_get_400_with_field_messages(api, body, field):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    # Found by schemathesis: the schema documented this 400 as {"detail": ...} only.
    assert_documented(api, "POST", URL, response)
    assert ServiceApiKey.objects.count() == 0
    if isinstance(body, dict) and isinstance(body.get("api_key"), str) and len(body["api_key"]) > 5:
        assert body["api_key"] not in response.content.decode()


def test_a_key_sent_as_the_key_type_is_not_echoed_back(api):
    secret = "sk-live-5f4dcc3b5aa765d61d8327deb882cf99"
    response = api.post(URL, {"key_type": secret, "api_key": "news_api"}, format="json")
    assert response.status_code == 400 and "key_type" in response.json()
    assert secret not in response.content.decode() and secret[-12:] not in response.content.decode()


def test_unknown_key_type_message_lists_the_valid_types(api):
    message = api.post(URL, {"key_type": "openai", "api_key": "k-123456"}, format="json").json()["key_type"][0]
    for key_type in ("google_api", "news_api", "finnhub_api", "fmp_api", "general"):
        assert key_type in message


def test_limits_are_inclusive(api):
    body = {"key_type": "general", "api_key": "k" * 512, "key_name": "n" * 100}
    assert api.post(URL, body, format="json").status_code == 201


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ('{"key_type": "news_api", "api_key": NaN}', "application/json", 400),
        ("", "application/json", 400),
        ("key_type=news_api", "text/plain", 415),
    ],
)
def test_bodies_that_are_not_json_get_a_4xx(api, content, content_type, status):
    response = api.generic("POST", URL, content, content_type=content_type)
    assert response.status_code == status
    assert ServiceApiKey.objects.count() == 0


def test_an_oversized_body_is_refused_not_crashed(api):
    big = '{"key_type": "news_api", "api_key": "' + "k" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = api.generic("POST", URL, big, content_type="application/json")
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("post", ""), ("get", "1"), ("put", "1"), ("patch", "1"), ("delete", "1"),
     ("post", "test-by-id/1"), ("post", "test-by-type/news_api")],
)
def test_anonymous_gets_401_everywhere(anon, method, path):
    assert getattr(anon, method)(URL + path).status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [("get", "", 200), ("post", "", 201), ("get", "{id}", 200), ("patch", "{id}", 200),
     ("post", "test-by-id/{id}", 200), ("post", "test-by-type/general", 200), ("delete", "{id}", 204)],
)
def test_both_slash_forms_answer_without_redirect(api, store_key, method, path, expected):
    for slash in ("", "/"):
        ServiceApiKey.objects.all().delete()
        key = store_key("general")
        url = (URL + path.format(id=key["id"])).rstrip("/") + slash
        body = {"key_type": "news_api", "api_key": "k-123456"} if method == "post" and path == "" else {"key_name": "x"}
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == expected, (url, response.content)


def test_session_clients_need_csrf_for_writes(user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    page = browser.get(URL, HTTP_ACCEPT="text/html")  # the browsable API page sets the CSRF cookie
    assert page.status_code == 200
    body = {"key_type": "news_api", "api_key": VALID_KEYS["news_api"], "key_name": "From the browser"}
    assert browser.post(URL, body, format="json").status_code == 403
    token = browser.cookies["csrftoken"].value
    created = browser.post(URL, body, format="json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201
    assert browser.get(URL).json()[0]["key_name"] == "From the browser"


def test_the_browsable_api_has_working_forms_and_never_shows_the_key(user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    page = browser.get(URL, HTTP_ACCEPT="text/html")
    html = page.content.decode()
    assert 'name="api_key"' in html and 'name="key_type"' in html and 'type="password"' in html
    token = browser.cookies["csrftoken"].value
    form = {"key_type": "finnhub_api", "api_key": VALID_KEYS["finnhub_api"], "key_name": "Form key",
            "csrfmiddlewaretoken": token}
    created = browser.post(URL, form, HTTP_ACCEPT="text/html")  # a real HTML form post
    assert created.status_code == 201
    key = ServiceApiKey.objects.get()
    detail = browser.get(f"{URL}{key.pk}", HTTP_ACCEPT="text/html").content.decode()
    assert 'name="key_name"' in detail and "Form key" in detail and "****f0f0" in detail
    # the PUT form is sent by the page's script as multipart with the X-CSRFToken header
    renamed = browser.put(f"{URL}{key.pk}", {"key_name": "Renamed in form", "is_active": "true"},
                          format="multipart", HTTP_X_CSRFTOKEN=token, HTTP_ACCEPT="text/html")
    assert renamed.status_code == 200
    assert ServiceApiKey.objects.get().key_name == "Renamed in form"
    for response in (page, created, renamed):
        assert VALID_KEYS["finnhub_api"] not in response.content.decode()


@pytest.mark.parametrize("path", ["", "{id}", "test-by-id/{id}", "test-by-type/general", "test-by-type/nope"])
def test_every_vault_page_of_the_browsable_api_renders(user, path):
    browser = APIClient()
    browser.force_login(user)
    key = browser.post(URL, {"key_type": "general", "api_key": "browsable-secret-77"}, format="json").json()
    url = URL + path.format(id=key["id"])
    for method in ("get", "post", "options"):
        response = getattr(browser, method)(url, HTTP_ACCEPT="text/html")
        assert response.status_code < 500, (method, url)
        assert "browsable-secret-77" not in response.content.decode()


@pytest.mark.parametrize("fmt", ["multipart", "json"])
def test_a_rejected_browsable_api_form_is_not_rendered_back_with_the_key(user, fmt):
    browser = APIClient()
    browser.force_login(user)
    secret = "rejected-form-secret-0099"
    response = browser.post(URL, {"key_type": "news_api", "api_key": secret, "key_name": "n" * 101},
                            format=fmt, HTTP_ACCEPT="text/html")
    assert response.status_code == 400
    html = response.content.decode()
    assert "key_name" in html and 'name="api_key"' in html  # the form is back, with its message
    assert secret not in html


def test_the_openapi_schema_documents_every_vault_operation_with_examples(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/api-keys/": {"get", "post"},
        "/api/v1/api-keys/{key_id}/": {"get", "put", "patch", "delete"},
        "/api/v1/api-keys/test-by-id/{key_id}/": {"post"},
        "/api/v1/api-keys/test-by-type/{key_type}/": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    create = paths["/api/v1/api-keys/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["examples"]
    assert create["responses"]["201"]["content"]["application/json"]["examples"]
    assert create["responses"]["400"]["content"]["application/json"]["examples"]["DuplicateType"]["value"] == DUPLICATE
    test = paths["/api/v1/api-keys/test-by-type/{key_type}/"]["post"]
    assert set(test["responses"]) >= {"200", "400", "404"}
    assert {"Success", "Failure"} <= set(test["responses"]["200"]["content"]["application/json"]["examples"])
    output = schema["components"]["schemas"]["ServiceKeyOutput"]["properties"]
    assert list(output) == FIELDS


def test_an_undecryptable_key_answers_503_naming_fernet_keys_without_ciphertext(api, store_key, settings):
    from cryptography.fernet import Fernet

    key = store_key("news_api")
    token = ServiceApiKey.objects.filter(pk=key["id"]).values_list("key_encrypted", flat=True).get()
    original = settings.FERNET_KEYS
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]  # the key it was encrypted with is gone
    for response in (api.get(URL), api.get(f"{URL}{key['id']}"), api.patch(f"{URL}{key['id']}", {"key_name": "x"},
                                                                             format="json")):
        assert response.status_code == 503
        assert "FERNET_KEYS" in response.json()["detail"]
        assert token not in response.content.decode()
    settings.FERNET_KEYS = original
    assert ServiceApiKey.objects.filter(pk=key["id"]).values_list("key_encrypted", flat=True).get() == token
    assert api.get(f"{URL}{key['id']}").json()["masked_key"] == key["masked_key"]


def test_an_unfilled_template_placeholder_is_refused_with_a_clear_message(api):
    response = api.post(URL, {"key_type": "news_api", "api_key": "{{news_api_key}}"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"api_key": [
        "The API key is still a template placeholder ({{...}}): put your own key in its place."
    ]}
    assert ServiceApiKey.objects.count() == 0
    assert api.post(URL, {"key_type": "general", "api_key": "abc{def}ghi"}, format="json").status_code == 201
