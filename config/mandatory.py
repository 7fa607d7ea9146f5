"""Mandatory secrets, checked when settings load.

Keyward cannot run safely without its three secrets, so a missing or weak one stops
start-up with an error that names the variable (the way Zulip's
``get_mandatory_secret`` does) instead of limping on with a default. The values
themselves never appear in the message.
"""
from __future__ import annotations

import base64
import binascii

from django.core.exceptions import ImproperlyConfigured

MIN_PEPPER_LENGTH = 32
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5


def _missing(name: str, hint: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"{name} is missing. Set it in the environment or in .env ({hint}). "
        "`make run` writes a .env with fresh random secrets when none exists."
    )


def secret_key(value: str | None, *, debug: bool) -> str:
    """Django's SECRET_KEY: required always, strong unless DEBUG is on."""
    if not value:
        raise _missing("SECRET_KEY", "at least 50 random characters")
    weak = (
        len(value) < MIN_SECRET_KEY_LENGTH
        or len(set(value)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS
        or value.startswith("django-insecure")
    )
    if weak and not debug:
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak for production: use at least 50 random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    return value


def pepper(value: str | None, *, name: str = "API_KEY_PEPPER") -> str:
    """The pepper mixed into every platform-key hash and lookup digest."""
    if not value:
        raise _missing(name, f"at least {MIN_PEPPER_LENGTH} random characters")
    if len(value) < MIN_PEPPER_LENGTH:
        raise ImproperlyConfigured(
            f"{name} is too short: it must be at least {MIN_PEPPER_LENGTH} characters."
        )
    return value


def previous_peppers(values: list[str]) -> list[str]:
    """Old peppers still accepted during a pepper rotation (each as strong as the new)."""
    return [pepper(v, name="API_KEY_PEPPER_PREVIOUS") for v in values if v]


def fernet_keys(values: list[str]) -> list[str]:
    """FERNET_KEYS: the first encrypts, all decrypt; each must be a real Fernet key."""
    keys = [v.strip() for v in values if v.strip()]
    if not keys:
        raise _missing(
            "FERNET_KEYS",
            "comma-separated Fernet keys, newest first "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')",
        )
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"FERNET_KEYS entry {position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)."
            )
    return keys
