"""Which key an agent call uses: the user's active vault key, else the operator's system
key from settings, else a ``MissingServiceKey`` naming the type.

A ``ResolvedKey`` says where its key came from (``source``: "user"/"system") to anyone,
but hands the plaintext only through ``for_call()``, which the provider clients call
just before the request; a user key is marked used there (not for system keys, which
have no row). Its repr, str and pickled form hold no plaintext, so a stray log line,
exception message or cache entry cannot leak it.

A user key that FERNET_KEYS cannot decrypt raises ``UndecryptableSecret`` here, before
any call: it does not fall back to the system key, since that would hide a broken
vault behind the operator's quota.
"""
from __future__ import annotations

import logging

from django.contrib.auth.base_user import AbstractBaseUser

from agents.conf import SYSTEM_KEY_SETTINGS, app_settings
from apikeys import redaction, vault
from apikeys.models import ServiceApiKey

logger = logging.getLogger(__name__)

USER = "user"
SYSTEM = "system"
KEY_SOURCES = (USER, SYSTEM)


class MissingServiceKey(Exception):
    """Neither the user nor the operator has a key of ``key_type``."""

    def __init__(self, key_type: str) -> None:
        self.key_type = key_type
        setting = SYSTEM_KEY_SETTINGS.get(key_type)
        where = f"add one in the vault or set {setting}" if setting else "add one in the vault"
        super().__init__(f"No {key_type} key: {where}")


class ResolvedKey:
    """A key ready for one agent's provider calls, and where it came from."""

    __slots__ = ("key_type", "source", "_plaintext", "_row")

    def __init__(self, key_type: str, source: str, plaintext: str, row: ServiceApiKey | None = None) -> None:
        self.key_type = key_type
        self.source = source
        self._plaintext = plaintext
        self._row = row

    def for_call(self) -> str:
        """The plaintext, for the provider request about to be sent. Records the use on
        a user key (at most one write per SERVICE_KEY_LAST_USED_INTERVAL)."""
        if self._row is not None:
            vault.service_key_mark_used(key=self._row)
        return self._plaintext

    def __repr__(self) -> str:
        row_id = self._row.pk if self._row is not None else None
        return f"<ResolvedKey {self.key_type} source={self.source} row={row_id}>"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("a ResolvedKey holds a secret and is never pickled or cached")


def system_key(key_type: str) -> str:
    """The operator's key for ``key_type`` from settings; "" when none is set."""
    setting = SYSTEM_KEY_SETTINGS.get(key_type)
    value = str(getattr(app_settings, setting) or "").strip() if setting else ""
    redaction.remember(value)  # system keys have no shape either: blank them in logs
    return value


def resolve_key(*, user: AbstractBaseUser, key_type: str) -> ResolvedKey:
    """The user's active key of ``key_type``, else the system key, else MissingServiceKey.
    Raises UndecryptableSecret when the user's key cannot be decrypted."""
    row = vault.service_key_get_active(user=user, key_type=key_type)
    if row is not None:
        return ResolvedKey(key_type, USER, row.reveal(), row)
    fallback = system_key(key_type)
    if fallback:
        return ResolvedKey(key_type, SYSTEM, fallback)
    logger.info("no %s key for user %s (vault or settings)", key_type, user.pk)
    raise MissingServiceKey(key_type)
