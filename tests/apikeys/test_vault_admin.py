"""Operators manage the service key vault in the admin (docs/api/admin.md) without ever seeing a
key or its ciphertext: list, filters, search, soft delete, restore."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model

from apikeys import vault
from apikeys.models import ServiceApiKey

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]

LIST = "/admin/apikeys/serviceapikey/"
ALICE_NEWS = "alice-news-key-0123456789abcd"
ALICE_FMP = "alice-fmp-key-zyxwvutsrq9876"
MALLORY_NEWS = "mallory-news-key-55554444"


@pytest.fixture
def operator(client):
    admin = get_user_model().objects.create_superuser("operator", password="operator-pass-123")
    client.force_login(admin)
    return client


@pytest.fixture
def keys(user, other_user):
    news = vault.service_key_create(user=user, key_type="news_api", api_key=ALICE_NEWS, key_name="Alice news")
    fmp = vault.service_key_create(user=user, key_type="fmp_api", api_key=ALICE_FMP, key_name="Alice quotes")
    theirs = vault.service_key_create(user=other_user, key_type="news_api", api_key=MALLORY_NEWS,
                                      key_name="Mallory news")
    vault.service_key_soft_delete(key=fmp)
    return {"news": news, "fmp": fmp, "theirs": theirs}


def secrets() -> list[str]:
    tokens = list(ServiceApiKey.objects.values_list("key_encrypted", flat=True))
    assert tokens and all(t.startswith("gAAAAA") for t in tokens)  # Fernet tokens, i.e. the real ciphertexts
    return [ALICE_NEWS, ALICE_FMP, MALLORY_NEWS, *tokens]


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def assert_no_secret(html: str) -> None:
    for secret in secrets():
        assert secret not in html


def test_the_list_shows_owner_type_name_masked_key_state_and_no_secret(operator, keys):
    html = html_of(operator.get(LIST))
    for shown in ("alice", "mallory", "news_api", "fmp_api", "Alice news", "Mallory news", "****abcd", "****9876",
                  "****4444", "last used", "last tested"):
        assert shown.lower() in html.lower()
    assert_no_secret(html)


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("key_type__exact=fmp_api", ["Alice quotes"], ["Alice news", "Mallory news"]),
        ("is_active__exact=1", ["Alice news", "Mallory news"], ["Alice quotes"]),
        ("is_active__exact=0", ["Alice quotes"], ["Alice news", "Mallory news"]),
        ("deleted=yes", ["Alice quotes"], ["Alice news", "Mallory news"]),
        ("deleted=no", ["Alice news", "Mallory news"], ["Alice quotes"]),
        ("q=mallory", ["Mallory news"], ["Alice news", "Alice quotes"]),
        ("q=quotes", ["Alice quotes"], ["Alice news", "Mallory news"]),
    ],
)
def test_filters_and_search(operator, keys, query, present, absent):
    html = html_of(operator.get(f"{LIST}?{query}"))
    for name in present:
        assert name in html
    for name in absent:
        assert name not in html
    assert_no_secret(html)


def test_the_change_form_edits_only_the_name_and_shows_no_secret(operator, keys):
    key = keys["news"]
    url = f"{LIST}{key.pk}/change/"
    html = html_of(operator.get(url))
    assert "****abcd" in html and 'name="key_name"' in html
    assert 'name="is_active"' not in html and 'name="key_encrypted"' not in html
    assert_no_secret(html)
    response = operator.post(url, {"key_name": "Renamed by ops", "is_active": "", "key_encrypted": "injected"})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.key_name == "Renamed by ops" and key.is_active is True and key.updated_at is not None
    assert key.reveal() == ALICE_NEWS
    assert_no_secret(html_of(operator.get(f"{url.removesuffix('change/')}history/")))


def test_operators_cannot_type_in_a_key(operator):
    assert operator.get(f"{LIST}add/").status_code == 403


def test_soft_delete_and_restore_actions(operator, keys):
    news = keys["news"]
    done = operator.post(LIST, {"action": "soft_delete_keys", "_selected_action": [news.pk]}, follow=True)
    assert "Soft-deleted 1 key(s)." in done.content.decode()
    news.refresh_from_db()
    assert news.is_active is False and news.deleted_at is not None
    restored = operator.post(LIST, {"action": "restore_keys", "_selected_action": [news.pk]}, follow=True)
    assert "Restored 1 key(s)." in restored.content.decode()
    news.refresh_from_db()
    assert news.is_active is True and news.deleted_at is None
    assert news.reveal() == ALICE_NEWS
    assert list(LogEntry.objects.filter(object_id=str(news.pk)).values_list("change_message", flat=True)) == [
        "Restored", "Soft-deleted",
    ]


def test_restore_refuses_with_a_message_when_another_active_key_of_the_type_exists(operator, keys, user):
    fmp = keys["fmp"]
    newer = vault.service_key_create(user=user, key_type="fmp_api", api_key="alice-new-fmp-key-1111",
                                     key_name="Newer quotes")
    response = operator.post(LIST, {"action": "restore_keys", "_selected_action": [fmp.pk]}, follow=True)
    html = response.content.decode()
    assert "Cannot restore" in html and "another active fmp_api key exists" in html
    assert "Restored 0 key(s)." in html
    fmp.refresh_from_db()
    assert fmp.is_active is False and fmp.deleted_at is not None
    newer.refresh_from_db()
    assert newer.is_active is True


def test_an_undecryptable_key_does_not_break_the_list(operator, keys, settings):
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    html = html_of(operator.get(LIST))
    assert "undecryptable (check FERNET_KEYS)" in html
    assert_no_secret(html)
