"""Pepper rotation (API_KEY_PEPPER_PREVIOUS) and Fernet rotation (rotate_encryption_keys)."""
from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from apikeys import crypto, services, verification
from apikeys.fields import Ciphertext
from apikeys.models import PlatformApiKey

pytestmark = pytest.mark.django_db

OLD_PEPPER = "old-pepper-" + "o" * 40
NEW_PEPPER = "new-pepper-" + "n" * 40


def stored_token(user) -> str:
    return PlatformApiKey.objects.filter(user=user).values_list("key_encrypted", flat=True).get()


def test_keys_made_under_an_old_pepper_keep_working_and_move_to_the_new(settings, user):
    settings.API_KEY_PEPPER = OLD_PEPPER
    settings.API_KEY_PEPPER_PREVIOUS = []
    _, key = services.platform_key_regenerate(user=user)

    settings.API_KEY_PEPPER = NEW_PEPPER
    settings.API_KEY_PEPPER_PREVIOUS = [OLD_PEPPER]
    assert verification.verify(key).user == user

    row = PlatformApiKey.objects.get(user=user)
    assert row.lookup_digest == crypto.lookup_digest(key, NEW_PEPPER)
    assert crypto.hasher().verify(key, NEW_PEPPER, row.key_hash)

    # Once re-hashed, the old pepper can be dropped entirely.
    settings.API_KEY_PEPPER_PREVIOUS = []
    verification.memo.clear()
    assert verification.verify(key).user == user


def test_without_the_previous_pepper_old_keys_stop_working(settings, user):
    settings.API_KEY_PEPPER = OLD_PEPPER
    _, key = services.platform_key_regenerate(user=user)
    settings.API_KEY_PEPPER = NEW_PEPPER
    settings.API_KEY_PEPPER_PREVIOUS = []
    assert verification.verify(key) is None


def test_fernet_rotation_reencrypts_everything_under_the_first_key(settings, make_user):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    users = [make_user() for _ in range(7)]
    keys = {u.pk: services.platform_key_regenerate(user=u)[1] for u in users}

    settings.FERNET_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "3", stdout=out)
    assert "7/7 rows checked, 7 re-encrypted" in out.getvalue()

    settings.FERNET_KEYS = [new]  # the old key can now be retired
    for u in users:
        assert PlatformApiKey.objects.get(user=u).reveal() == keys[u.pk]
        assert verification.verify(keys[u.pk]).user == u


def test_rotation_is_safe_to_rerun_after_an_interruption(settings, make_user):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    users = [make_user() for _ in range(4)]
    keys = {u.pk: services.platform_key_regenerate(user=u)[1] for u in users}
    settings.FERNET_KEYS = [new, old]
    # An interrupted run: only the first two rows were re-encrypted.
    for u in users[:2]:
        PlatformApiKey.objects.filter(user=u).update(key_encrypted=Ciphertext(crypto.reencrypt(stored_token(u))))
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "4/4 rows checked, 2 re-encrypted" in out.getvalue()
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "4/4 rows checked, 0 re-encrypted" in out.getvalue()
    settings.FERNET_KEYS = [new]
    assert all(PlatformApiKey.objects.get(user=u).reveal() == keys[u.pk] for u in users)


def test_undecryptable_token_stops_rotation_naming_fernet_keys(settings, user, platform_key):
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    before = stored_token(user)
    with pytest.raises(CommandError, match="FERNET_KEYS"):
        call_command("rotate_encryption_keys", stdout=io.StringIO())
    assert stored_token(user) == before


def test_vault_keys_are_rotated_too(settings, user):
    from apikeys import vault
    from apikeys.models import ServiceApiKey

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    created = vault.service_key_create(user=user, key_type="news_api", api_key="nk-0123456789abcdef", key_name="n")
    settings.FERNET_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "apikeys.ServiceApiKey: 1/1 rows checked, 1 re-encrypted" in out.getvalue()
    settings.FERNET_KEYS = [new]
    assert ServiceApiKey.objects.get(pk=created.pk).reveal() == "nk-0123456789abcdef"


def test_a_key_regenerated_during_rotation_keeps_its_new_secret(settings, user):
    from apikeys.management.commands.rotate_encryption_keys import Command, encrypted_fields

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    services.platform_key_regenerate(user=user)
    settings.FERNET_KEYS = [new, old]
    fields = dict(encrypted_fields())[PlatformApiKey]
    read_by_rotation = PlatformApiKey.objects.only("pk", *[f.name for f in fields]).get(user=user)
    _, fresh = services.platform_key_regenerate(user=user)  # lands between the read and the write
    assert Command()._rotate_row(PlatformApiKey, read_by_rotation, fields) == 0
    assert PlatformApiKey.objects.get(user=user).reveal() == fresh
    assert verification.verify(fresh).user == user


def test_the_command_knows_every_encrypted_column_of_the_project():
    from django.apps import apps

    from apikeys.fields import EncryptedTextField
    from apikeys.management.commands.rotate_encryption_keys import ENCRYPTED_COLUMNS

    found = {}
    for model in apps.get_models():
        names = tuple(
            name for name, attribute in vars(model).items()
            if isinstance(getattr(attribute, "field", None), EncryptedTextField)
        )
        if names:
            found[model] = names
    assert found == ENCRYPTED_COLUMNS
