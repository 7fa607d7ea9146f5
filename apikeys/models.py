"""The credentials domain's tables.

A platform key row keeps three forms of one secret: an Argon2id hash (verification),
a Fernet token (so the owner can see the key again) and an HMAC lookup digest with a
unique index (so verification finds the one row to check without scanning). Revoking
clears all three but keeps the row, so the user's order mode survives a revoke.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from apikeys import crypto
from apikeys.fields import EncryptedTextField, PepperedHashField


class OrderMode(models.TextChoices):
    AUTO = "auto", "Auto (orders execute at once)"
    SEMI_AUTO = "semi_auto", "Semi-auto (orders wait for approval)"


class PlatformApiKeyQuerySet(models.QuerySet):
    def usable(self):
        """Rows whose key may authenticate: a key is set and its owner is active."""
        return self.filter(lookup_digest__isnull=False, user__is_active=True)


class PlatformApiKey(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_api_key"
    )
    key_hash = PepperedHashField(null=True, blank=True, editable=False)
    key_encrypted = EncryptedTextField(null=True, blank=True, editable=False)
    lookup_digest = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    order_mode = models.CharField(max_length=16, choices=OrderMode.choices, default=OrderMode.AUTO)
    created_at = models.DateTimeField(default=timezone.now, help_text="When the current key was generated.")
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PlatformApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "platform API key"

    def __str__(self) -> str:
        return f"Platform key of {self.user}"

    def __repr__(self) -> str:
        return f"<PlatformApiKey id={self.pk} user_id={self.user_id} mode={self.order_mode} has_key={self.has_key}>"

    @property
    def has_key(self) -> bool:
        return self.lookup_digest is not None

    def set_secret(self, plaintext: str) -> None:
        """Store ``plaintext`` in all three forms under the current pepper."""
        self.key_hash = plaintext  # PepperedHashField hashes on assignment
        self.key_encrypted = plaintext  # EncryptedTextField encrypts on save
        self.lookup_digest = crypto.lookup_digest(plaintext, crypto.peppers()[0])

    def clear_secret(self) -> None:
        self.key_hash = None
        self.key_encrypted = None
        self.lookup_digest = None

    def reveal(self) -> str | None:
        """The plaintext key for its owner (raises UndecryptableSecret if it can't)."""
        return self.key_encrypted if self.has_key else None
