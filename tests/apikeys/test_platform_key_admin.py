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


def test_an_operator_changes_what_a_key_may_do_and_it_is_audited(operator, user, platform_key):
    from apikeys import services

    row, plaintext = services.key_create(user=user, name="bot")
    url = f"/admin/apikeys/platformapikey/{row.pk}/change/"
    page = operator.get(url)
    assert page.status_code == 200 and "write:orders" in page.content.decode()
    answer = operator.post(url, {
        "name": "bot", "order_mode": "auto", "scopes": ["read:market"], "expires_at_0": "", "expires_at_1": "",
        "allowed_ips": "10.0.0.0/8\n2001:db8::/32", "rate_limit": "5/s",
        "events-TOTAL_FORMS": "1", "events-INITIAL_FORMS": "1", "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "1000",
    })
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    row.refresh_from_db()
    assert row.scopes == ["read:market"] and row.allowed_ips == ["10.0.0.0/8", "2001:db8::/32"] and row.rate_limit == "5/s"
    actions = set(row.events.values_list("action", flat=True))
    assert {"scopes_changed", "allowlist_changed", "rate_limit_changed"} <= actions
    assert set(row.events.exclude(action="created").values_list("actor__username", flat=True)) == {"operator"}
    assert plaintext not in operator.get(url).content.decode()
    bad = operator.post(url, {"name": "bot", "order_mode": "auto", "scopes": ["read:market"], "allowed_ips": "nonsense",
                              "rate_limit": "", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})
    assert bad.status_code == 200 and "not an IP address or network" in bad.content.decode()


def test_roll_actions_give_a_new_secret_the_operator_never_sees(operator, user, platform_key):
    row = PlatformApiKey.objects.get(user=user)
    url = "/admin/apikeys/platformapikey/"
    answer = operator.post(url, {"action": "roll_keys_with_grace", "_selected_action": [row.pk]}, follow=True)
    assert b"Rolled 1 key" in answer.content
    new = PlatformApiKey.objects.get(pk=row.pk).reveal()
    assert new != platform_key and new.encode() not in answer.content
    assert verification.verify(platform_key) is not None  # the grace
    operator.post(url, {"action": "roll_keys", "_selected_action": [row.pk]})
    assert verification.verify(platform_key) is None and verification.verify(new) is None


def test_the_audit_log_is_read_only_in_the_admin(operator, user, platform_key):
    from apikeys.models import PlatformKeyEvent

    event = PlatformKeyEvent.objects.get()
    assert operator.get("/admin/apikeys/platformkeyevent/").status_code == 200
    assert operator.get("/admin/apikeys/platformkeyevent/add/").status_code == 403
    page = operator.get(f"/admin/apikeys/platformkeyevent/{event.pk}/change/")
    assert page.status_code == 200 and b'type="submit" value="Save"' not in page.content
    assert operator.post(f"/admin/apikeys/platformkeyevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    operator.post("/admin/apikeys/platformkeyevent/", {"action": "delete_selected", "_selected_action": [event.pk],
                                                       "post": "yes"})
    assert PlatformKeyEvent.objects.filter(pk=event.pk).exists()


def test_a_user_with_keys_and_audit_lines_can_still_be_deleted(operator, user, platform_key):
    from apikeys import services
    from apikeys.models import PlatformKeyEvent

    services.key_create(user=user, name="bot")
    assert PlatformKeyEvent.objects.filter(key__user=user).count() == 2
    page = operator.get(f"/admin/auth/user/{user.pk}/delete/")
    assert page.status_code == 200 and b"permission to delete" not in page.content
    operator.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"})
    assert not PlatformKeyEvent.objects.filter(key__user_id=user.pk).exists()
    assert not PlatformApiKey.objects.filter(user_id=user.pk).exists()


def test_a_revoked_key_is_refused_politely_by_the_form_and_skipped_by_actions(operator, user, platform_key):
    from apikeys import services

    row, _ = services.key_create(user=user, name="gone")
    services.key_revoke(key=row)
    url = f"/admin/apikeys/platformapikey/{row.pk}/change/"
    answer = operator.post(url, {"name": "back", "order_mode": "auto", "scopes": ["read:market"], "allowed_ips": "",
                                 "rate_limit": "", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})
    assert answer.status_code == 200 and "This key is revoked" in answer.content.decode()
    listed = operator.post("/admin/apikeys/platformapikey/", {"action": "set_mode_semi_auto", "_selected_action": [row.pk]},
                           follow=True)
    assert listed.status_code == 200 and b"for 0 key(s)" in listed.content
    row.refresh_from_db()
    assert row.name == "gone" and row.order_mode == "auto"


def test_a_revoked_primary_key_keeps_taking_an_order_mode_for_its_next_secret(operator, user, platform_key):
    from apikeys import services

    row = PlatformApiKey.objects.get(user=user, is_primary=True)
    services.key_revoke(key=row)
    listed = operator.post("/admin/apikeys/platformapikey/", {"action": "set_mode_semi_auto", "_selected_action": [row.pk]},
                           follow=True)
    assert listed.status_code == 200 and b"for 1 key(s)" in listed.content
    url = f"/admin/apikeys/platformapikey/{row.pk}/change/"
    saved = operator.post(url, {"name": row.name, "order_mode": "auto", "scopes": row.scopes, "expires_at_0": "",
                                "expires_at_1": "", "allowed_ips": "", "rate_limit": "",
                                "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    row.refresh_from_db()
    assert row.order_mode == "auto" and not row.has_key
