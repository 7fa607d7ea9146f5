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
        self.lookup_digest = crypto.lookup_digest(plaintext, crypto.current_pepper())

    def clear_secret(self) -> None:
        self.key_hash = None
        self.key_encrypted = None
        self.lookup_digest = None

    def reveal(self) -> str | None:
        """The plaintext key for its owner (raises UndecryptableSecret if it can't)."""
        return self.key_encrypted if self.has_key else None


# --- Service key vault (SPEC §1) ------------------------------------------------------

class KeyType(models.TextChoices):
    GOOGLE_API = "google_api", "Google AI Studio (Gemini)"
    NEWS_API = "news_api", "NewsAPI"
    FINNHUB_API = "finnhub_api", "Finnhub"
    FMP_API = "fmp_api", "Financial Modeling Prep"
    GENERAL = "general", "General purpose"


def mask_secret(plaintext: str) -> str:
    """``****`` + the last min(4, len // 2) characters: never more than half a key."""
    shown = min(4, len(plaintext) // 2)
    return "****" + (plaintext[-shown:] if shown else "")


class ServiceApiKeyQuerySet(models.QuerySet):
    def not_deleted(self):
        """What the owner sees: soft-deleted rows exist only for operators (restore)."""
        return self.filter(deleted_at__isnull=True)

    def active(self):
        return self.filter(is_active=True)


class ServiceApiKey(models.Model):
    """A user's key for an external service, encrypted at rest, masked when shown.

    The partial unique constraint is the rule "one active key per type"; services
    rely on it (and turn its IntegrityError into a 400), so a race between two
    requests cannot leave two active keys behind a view-level check.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_api_keys")
    key_type = models.CharField(max_length=32, choices=KeyType.choices)
    key_name = models.CharField(max_length=100)
    key_encrypted = EncryptedTextField(editable=False)
    is_active = models.BooleanField(default=True)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Set by a soft delete; cleared by restore.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True, help_text="Null until the first update.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_status = models.CharField(
        max_length=32, blank=True, default="", help_text='"success" or the error code of the last test.'
    )

    objects = ServiceApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "service API key"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key_type"],
                condition=models.Q(is_active=True),
                name="one_active_service_key_per_type",
                violation_error_message="API key for this service type already exists",
            ),
            models.CheckConstraint(
                condition=models.Q(deleted_at__isnull=True) | models.Q(is_active=False),
                name="deleted_service_key_is_inactive",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="service_key_user_newest")]

    def __str__(self) -> str:
        return f"{self.key_name} ({self.key_type}) of {self.user}"

    def __repr__(self) -> str:
        return (
            f"<ServiceApiKey id={self.pk} user_id={self.user_id} type={self.key_type} "
            f"active={self.is_active} deleted={self.deleted_at is not None}>"
        )

    def reveal(self) -> str:
        """The plaintext, for the provider or agent call only (raises UndecryptableSecret)."""
        return self.key_encrypted

    @property
    def masked_key(self) -> str:
        return mask_secret(self.reveal())
