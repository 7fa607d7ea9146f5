"""Model fields that encrypt and hash, so no view or service handles ciphertext.

``EncryptedTextField``: assign a plaintext, the database gets a Fernet token (under the
first FERNET_KEYS entry); read the attribute, get the plaintext back. A value loaded from
the database stays a sealed ``Ciphertext`` until it is read, and is written back exactly
as loaded when it was never replaced, so saving a row whose token no configured key can
open can never overwrite the stored value with something else. Reading such a value
raises ``UndecryptableSecret``, naming FERNET_KEYS: never the ciphertext, never "".

``PepperedHashField``: assign a plaintext, it is hashed at once with Argon2id over
plaintext + current pepper; the attribute then holds only the encoded hash.
"""
from __future__ import annotations

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from apikeys import crypto


class Ciphertext(str):
    """A Fernet token as loaded from the database, not yet decrypted."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<Ciphertext>"


class ArgonHash(str):
    """An encoded Argon2id hash (never a plaintext)."""

    __slots__ = ()


class _EncryptedAttribute(DeferredAttribute):
    """Data descriptor: decrypts on read, keeps the raw stored value in __dict__."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        raw = super().__get__(instance, cls)
        if isinstance(raw, Ciphertext):
            return crypto.decrypt(raw)
        return raw

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    descriptor_class = _EncryptedAttribute

    def from_db_value(self, value, expression, connection):
        return None if value is None else Ciphertext(value)

    def pre_save(self, model_instance, add):
        # The raw value: a Ciphertext goes back untouched, a plaintext gets encrypted.
        return model_instance.__dict__.get(self.attname)

    def get_prep_value(self, value):
        if value is None or isinstance(value, Ciphertext):
            return value
        return crypto.encrypt(str(value))

    def value_to_string(self, obj):
        # dumpdata/serializers see the token, never the plaintext.
        return self.get_prep_value(obj.__dict__.get(self.attname))

    def raw_token(self, instance) -> str | None:
        """The stored token of ``instance`` (for key rotation), without decrypting."""
        raw = instance.__dict__.get(self.attname)
        return None if raw is None else self.get_prep_value(raw)


class _HashAttribute(DeferredAttribute):
    def __set__(self, instance, value):
        if value is not None and value != "" and not isinstance(value, ArgonHash):
            value = ArgonHash(crypto.hasher().encode(str(value), crypto.current_pepper()))
        instance.__dict__[self.field.attname] = value


class PepperedHashField(models.CharField):
    descriptor_class = _HashAttribute

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return None if value is None else ArgonHash(value)

    @staticmethod
    def verify(plaintext: str, encoded: str | None, *, pepper: str) -> bool:
        if not encoded:
            return False
        return crypto.hasher().verify(plaintext, pepper, encoded)

    @staticmethod
    def must_update(encoded: str) -> bool:
        return crypto.hasher().must_update(encoded)
