"""Key resolution: the user's active vault key, else the system key, else a clear error;
the plaintext only through ``for_call``, which marks a user key used."""
from __future__ import annotations

import logging
import pickle

import pytest

from agents import keys
from apikeys import crypto, vault
from apikeys.models import ServiceApiKey
from tests.agents.conftest import SYSTEM_KEYS, USER_KEYS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]


@pytest.fixture(autouse=True)
def _no_system_keys(settings):
    settings.NEWS_API_KEY = settings.GOOGLE_API_KEY = ""


def test_the_users_active_key_wins_over_the_system_key(user, user_keys, system_keys):
    user_keys("news_api")
    system_keys()
    resolved = keys.resolve_key(user=user, key_type="news_api")
    assert resolved.source == "user"
    assert resolved.for_call() == USER_KEYS["news_api"]


def test_without_a_user_key_the_system_key_is_used(user, system_keys):
    system_keys("google_api")
    resolved = keys.resolve_key(user=user, key_type="google_api")
    assert (resolved.source, resolved.for_call()) == ("system", SYSTEM_KEYS["google_api"])


def test_an_inactive_or_deleted_user_key_falls_back_to_the_system_key(user, user_keys, system_keys):
    rows = user_keys()
    vault.service_key_update(key=rows["news_api"], is_active=False)
    vault.service_key_soft_delete(key=rows["google_api"])
    system_keys()
    assert keys.resolve_key(user=user, key_type="news_api").source == "system"
    assert keys.resolve_key(user=user, key_type="google_api").source == "system"


def test_another_users_key_is_never_used(user, other_user, user_keys):
    user_keys("news_api", owner=other_user)
    with pytest.raises(keys.MissingServiceKey):
        keys.resolve_key(user=user, key_type="news_api")


@pytest.mark.parametrize(("key_type", "setting"), [("news_api", "NEWS_API_KEY"), ("google_api", "GOOGLE_API_KEY"),
                                                   ("finnhub_api", "FINNHUB_API_KEY"), ("fmp_api", "FMP_API_KEY")])
def test_no_key_anywhere_is_an_error_naming_the_type_and_the_setting(user, settings, key_type, setting):
    setattr(settings, setting, "   ")  # blank counts as unset
    with pytest.raises(keys.MissingServiceKey) as caught:
        keys.resolve_key(user=user, key_type=key_type)
    assert caught.value.key_type == key_type
    assert str(caught.value) == f"No {key_type} key: add one in the vault or set {setting}"


def test_general_keys_have_no_system_fallback(user):
    with pytest.raises(keys.MissingServiceKey, match=r"^No general key: add one in the vault$"):
        keys.resolve_key(user=user, key_type="general")


def test_for_call_marks_a_user_key_used_and_resolving_alone_does_not(user, user_keys):
    row = user_keys("news_api")["news_api"]
    resolved = keys.resolve_key(user=user, key_type="news_api")
    assert ServiceApiKey.objects.get(pk=row.pk).last_used_at is None
    resolved.for_call()
    assert ServiceApiKey.objects.get(pk=row.pk).last_used_at is not None


def test_a_system_key_touches_no_row(user, user_keys, system_keys, django_assert_num_queries):
    row = user_keys("google_api")["google_api"]
    vault.service_key_update(key=row, is_active=False)
    system_keys("google_api")
    resolved = keys.resolve_key(user=user, key_type="google_api")
    with django_assert_num_queries(0):
        resolved.for_call()
    assert ServiceApiKey.objects.get(pk=row.pk).last_used_at is None


def test_a_resolved_key_shows_its_source_but_never_its_plaintext(user, user_keys, system_keys):
    user_keys("news_api")
    system_keys("google_api")
    for key_type in ("news_api", "google_api"):
        resolved = keys.resolve_key(user=user, key_type=key_type)
        for text in (repr(resolved), str(resolved), f"{resolved!s}"):
            assert resolved.source in text
            assert USER_KEYS[key_type] not in text and SYSTEM_KEYS[key_type] not in text
        with pytest.raises(TypeError):
            pickle.dumps(resolved)
        assert not hasattr(resolved, "__dict__")  # nothing to dump by vars()


def test_system_keys_are_blanked_in_log_records_once_resolved(user, system_keys, caplog):
    system_keys("news_api")
    keys.resolve_key(user=user, key_type="news_api")
    with caplog.at_level(logging.INFO):
        logging.getLogger("agents.test").info("oops, logged %s", SYSTEM_KEYS["news_api"])
    assert SYSTEM_KEYS["news_api"] not in caplog.text
    assert "[REDACTED]" in caplog.text


def test_an_undecryptable_user_key_fails_loudly_without_falling_back(user, user_keys, system_keys, settings):
    from cryptography.fernet import Fernet

    user_keys("news_api")
    system_keys("news_api")
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.UndecryptableSecret):
        keys.resolve_key(user=user, key_type="news_api")
