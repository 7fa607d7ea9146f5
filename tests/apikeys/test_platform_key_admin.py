"""Operators manage platform keys in the admin without ever seeing one."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from apikeys import verification
from apikeys.models import PlatformApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    admin = get_user_model().objects.create_superuser("operator", password="operator-pass-123")
    client.force_login(admin)
    return client


def secrets_of(user) -> list[str]:
    row = PlatformApiKey.objects.get(user=user)
    token = PlatformApiKey.objects.filter(pk=row.pk).values_list("key_encrypted", flat=True).get()
    return [row.key_hash, token, row.lookup_digest]


def test_list_and_change_pages_show_state_but_no_secret(operator, user, platform_key):
    row = PlatformApiKey.objects.get(user=user)
    pages = [
        operator.get("/admin/apikeys/platformapikey/"),
        operator.get("/admin/apikeys/platformapikey/?has_key=yes"),
        operator.get("/admin/apikeys/platformapikey/?q=alice"),
        operator.get(f"/admin/apikeys/platformapikey/{row.pk}/change/"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "alice" in html
        for secret in [platform_key, *secrets_of(user)]:
            assert secret not in html
    assert "active" in pages[0].content.decode()


def test_filter_separates_revoked_keys(operator, user, other_user, platform_key):
    html = operator.get("/admin/apikeys/platformapikey/?has_key=no").content.decode()
    assert "alice" not in html


def test_actions_set_mode_and_revoke(operator, user, platform_key):
    row = PlatformApiKey.objects.get(user=user)
    url = "/admin/apikeys/platformapikey/"
    operator.post(url, {"action": "set_mode_semi_auto", "_selected_action": [row.pk]})
    assert PlatformApiKey.objects.get(pk=row.pk).order_mode == "semi_auto"
    operator.post(url, {"action": "set_mode_auto", "_selected_action": [row.pk]})
    assert PlatformApiKey.objects.get(pk=row.pk).order_mode == "auto"
    assert verification.verify(platform_key) is not None
    response = operator.post(url, {"action": "revoke_keys", "_selected_action": [row.pk]}, follow=True)
    assert b"Revoked 1 key" in response.content
    assert verification.verify(platform_key) is None


def test_keys_cannot_be_typed_into_an_add_form(operator):
    assert operator.get("/admin/apikeys/platformapikey/add/").status_code == 403


def test_non_staff_users_get_no_admin(client, user):
    client.force_login(user)
    assert client.get("/admin/apikeys/platformapikey/").status_code == 302
