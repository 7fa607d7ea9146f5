"""Key material: generation, peppers, lookup digests, Fernet and the Argon2id hasher.

Only this module and ``fields.py`` touch ciphertext or hashes. The Fernet and Argon2
objects are built lazily from settings and rebuilt when a test changes those settings
(as Django's own hashers are).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from typing import TypeGuard

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.signals import setting_changed
from django.dispatch import receiver

from apikeys import redaction
from apikeys.conf import app_settings

PLATFORM_KEY_BYTES = 32  # secrets.token_hex(32): 64 hex characters, 256 bits
PLATFORM_KEY_LENGTH = PLATFORM_KEY_BYTES * 2


class UndecryptableSecret(Exception):
    """A stored ciphertext that none of the configured FERNET_KEYS can open."""

    def __init__(self) -> None:
        super().__init__(
            "A stored secret cannot be decrypted with any key in FERNET_KEYS. "
            "Restore the FERNET_KEYS entry it was encrypted with (keep old keys after the "
            "new one until `manage.py rotate_encryption_keys` has run)."
        )


def generate_platform_key() -> str:
    key = secrets.token_hex(PLATFORM_KEY_BYTES)
    redaction.remember(key)
    return key


_PLATFORM_KEY_SHAPE = re.compile(rf"[0-9a-f]{{{PLATFORM_KEY_LENGTH}}}")


def looks_like_platform_key(value: object) -> TypeGuard[str]:
    """Shape check before any database work: 64 lowercase hex characters."""
    return isinstance(value, str) and _PLATFORM_KEY_SHAPE.fullmatch(value) is not None


def current_pepper() -> str:
    """The pepper new hashes and digests are made with."""
    return app_settings.API_KEY_PEPPER


def peppers_in_turn() -> Iterator[str]:
    """The current pepper first, then any previous ones still accepted, each read only
    if the one before found nothing."""
    yield app_settings.API_KEY_PEPPER
    yield from app_settings.API_KEY_PEPPER_PREVIOUS


def lookup_digest(secret: str, pepper: str) -> str:
    """HMAC-SHA256(pepper, secret): the indexed column that finds a key's row."""
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


# --- Fernet ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _multifernet() -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in app_settings.FERNET_KEYS])


@functools.lru_cache(maxsize=1)
def _primary_fernet() -> Fernet:
    return Fernet(app_settings.FERNET_KEYS[0].encode())


def encrypt(plaintext: str) -> str:
    redaction.remember(plaintext)
    return _multifernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        plaintext = _multifernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        raise UndecryptableSecret() from None
    redaction.remember(plaintext)
    return plaintext


def is_current(token: str) -> bool:
    """True when the first FERNET_KEYS entry already decrypts ``token``."""
    try:
        _primary_fernet().decrypt(token.encode())
    except (InvalidToken, ValueError, TypeError):
        return False
    return True


def reencrypt(token: str) -> str:
    """Re-encrypt under the first key (MultiFernet.rotate); raises if undecryptable."""
    try:
        return _multifernet().rotate(token.encode()).decode()
    except (InvalidToken, ValueError, TypeError):
        raise UndecryptableSecret() from None


# --- Argon2id with pepper ----------------------------------------------------------------

class PepperedArgon2Hasher:
    """Argon2id over ``secret + pepper``, in the shape of Django's hashers.

    Stored strings are argon2's own self-describing ``$argon2id$v=19$m=..,t=..,p=..$``
    encoding, so ``must_update`` can tell when parameters changed.
    """

    algorithm = "argon2id"

    def __init__(self, *, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )

    def encode(self, secret: str, pepper: str) -> str:
        return self._hasher.hash(secret + pepper)

    def verify(self, secret: str, pepper: str, encoded: str) -> bool:
        """Constant-time inside argon2; every failure is just False."""
        try:
            return self._hasher.verify(encoded, secret + pepper)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def must_update(self, encoded: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(encoded)
        except (InvalidHashError, ValueError):
            return True


@functools.lru_cache(maxsize=1)
def hasher() -> PepperedArgon2Hasher:
    return PepperedArgon2Hasher(
        time_cost=app_settings.ARGON2_TIME_COST,
        memory_cost=app_settings.ARGON2_MEMORY_COST,
        parallelism=app_settings.ARGON2_PARALLELISM,
    )


_CACHED_SETTINGS = {
    "FERNET_KEYS": (_multifernet, _primary_fernet),
    "ARGON2_TIME_COST": (hasher,),
    "ARGON2_MEMORY_COST": (hasher,),
    "ARGON2_PARALLELISM": (hasher,),
}


@receiver(setting_changed)
def _reset_cached_objects(*, setting, **kwargs):
    for cached in _CACHED_SETTINGS.get(setting, ()):
        cached.cache_clear()
