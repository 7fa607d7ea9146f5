"""EncryptedTextField and PepperedHashField (apikeys/fields.py)."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core import serializers

from apikeys import crypto, services
from apikeys.fields import ArgonHash, Ciphertext, PepperedHashField
from apikeys.models import PlatformApiKey
from tests.support.processes import run_manage, strong_env

pytestmark = pytest.mark.django_db


def test_encrypted_field_round_trips_through_the_database(settings, user, platform_key):
    row = PlatformApiKey.objects.get(user=user)
    assert row.key_encrypted == platform_key
    raw = PlatformApiKey.objects.filter(pk=row.pk).values_list("key_encrypted", flat=True).get()
    assert isinstance(raw, Ciphertext) and raw != platform_key
    assert Fernet(settings.FERNET_KEYS[0].encode()).decrypt(raw.encode()).decode() == platform_key


def test_any_configured_fernet_key_decrypts_but_only_the_first_encrypts(settings, user):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    _, key = services.platform_key_regenerate(user=user)
    settings.FERNET_KEYS = [new, old]
    assert PlatformApiKey.objects.get(user=user).reveal() == key
    _, key2 = services.platform_key_regenerate(user=user)
    token = PlatformApiKey.objects.filter(user=user).values_list("key_encrypted", flat=True).get()
    assert Fernet(new.encode()).decrypt(token.encode()).decode() == key2


def test_undecryptable_value_raises_naming_fernet_keys_and_is_never_overwritten(settings, user, platform_key):
    token_before = PlatformApiKey.objects.filter(user=user).values_list("key_encrypted", flat=True).get()
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    row = PlatformApiKey.objects.get(user=user)
    with pytest.raises(crypto.UndecryptableSecret, match="FERNET_KEYS") as raised:
        row.reveal()
    assert token_before not in str(raised.value)
    row.order_mode = "semi_auto"
    row.save()  # a re-save writes the sealed token back unchanged
    assert PlatformApiKey.objects.filter(user=user).values_list("key_encrypted", flat=True).get() == token_before


def test_get_key_with_a_lost_fernet_key_answers_a_clear_error_not_ciphertext(settings, api, user, platform_key):
    token = PlatformApiKey.objects.filter(user=user).values_list("key_encrypted", flat=True).get()
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    response = api.get("/api/v1/apikey/")
    assert response.status_code == 503
    assert "FERNET_KEYS" in response.json()["detail"]
    assert token not in response.content.decode()
    assert platform_key not in response.content.decode()


def test_hash_field_hashes_on_assignment_and_verifies(user):
    row = PlatformApiKey(user=user)
    row.key_hash = "0" * 64
    assert isinstance(row.key_hash, ArgonHash) and row.key_hash.startswith("$argon2id$")
    pepper = crypto.current_pepper()
    assert PepperedHashField.verify("0" * 64, row.key_hash, pepper=pepper)
    assert not PepperedHashField.verify("1" * 64, row.key_hash, pepper=pepper)
    assert not PepperedHashField.verify("0" * 64, row.key_hash, pepper="another-pepper-" + "x" * 40)
    assert not PepperedHashField.verify("0" * 64, None, pepper=pepper)
    assert not PepperedHashField.verify("0" * 64, "not-a-hash", pepper=pepper)


def test_repr_str_and_serialisation_never_carry_the_key(user, platform_key):
    row = PlatformApiKey.objects.get(user=user)
    assert platform_key not in repr(row)
    assert platform_key not in str(row)
    dumped = serializers.serialize("json", PlatformApiKey.objects.all())
    assert platform_key not in dumped
    assert "gAAAAA" in dumped  # the token is what a dump holds


def test_the_key_checks_row_shows_neither_its_hash_nor_its_digest(user, platform_key):
    from apikeys import key_lookup

    row = key_lookup.usable_key_by_digest(crypto.lookup_digest(platform_key, crypto.current_pepper()))
    assert row is not None and row.key_hash.startswith("$argon2id$")
    assert row.key_hash not in repr(row) and row.lookup_digest not in repr(row) and platform_key not in repr(row)
    assert repr(row) == f"KeyRow(key_id={row.key_id}, user_id={user.pk}, previous_secret=False)"


def test_the_sqlite_file_never_holds_a_plaintext_key(tmp_path):
    db = tmp_path / "keyward.sqlite3"
    env = strong_env(DATABASE_URL=f"sqlite:///{db}")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    script = (
        "from django.contrib.auth import get_user_model; from apikeys import services, verification;"
        "u = get_user_model().objects.create_user('dbgrep', password='x-very-long-pass-1');"
        "_, k1 = services.platform_key_regenerate(user=u); _, k2 = services.platform_key_regenerate(user=u);"
        "assert verification.verify(k2); print(k1); print(k2)"
    )
    result = run_manage("shell", "--no-imports", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    keys = result.stdout.split()
    assert len(keys) == 2 and all(len(k) == 64 for k in keys)
    content = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert len(content) > 10_000
    for key in keys:
        assert key.encode() not in content
        assert key.upper().encode() not in content
        assert key.encode("utf-16-le") not in content
