"""The credentials domain's tables.

A platform key row keeps three forms of one secret: an Argon2id hash (verification),
a Fernet token (so the owner can see the key again) and an HMAC lookup digest with a
unique index (so verification finds the one row to check without scanning). Revoking
clears all three but keeps the row, so the user's order mode survives a revoke.

A user has several named keys; one of them, the *primary*, is the key of the seed's
one-key endpoints. A key carries what it may do (scopes, expiry, address allowlist, rate
limit); after a roll its previous secret (hash and digest only) works until
``previous_valid_until``. Its audit events and its daily usage have tables of their own.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from apikeys import crypto, scopes
from apikeys.fields import EncryptedTextField, PepperedHashField


class OrderMode(models.TextChoices):
    AUTO = "auto", "Auto (orders execute at once)"
    SEMI_AUTO = "semi_auto", "Semi-auto (orders wait for approval)"


class PlatformApiKeyQuerySet(models.QuerySet):
    def usable(self):
        """Rows whose key may authenticate: a key is set and its owner is active."""
        return self.filter(lookup_digest__isnull=False, user__is_active=True)


class PlatformApiKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_api_keys"
    )
    name = models.CharField(max_length=100, default="Primary key")
    is_primary = models.BooleanField(
        default=False, help_text="The key of the one-key endpoints (/api/v1/apikey/, TradingView, playground).",
    )
    key_hash = PepperedHashField(null=True, blank=True, editable=False)
    key_encrypted = EncryptedTextField(null=True, blank=True, editable=False)
    lookup_digest = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # The secret before the last roll: hash and digest only (it is never shown again).
    previous_key_hash = PepperedHashField(null=True, blank=True, editable=False)
    previous_lookup_digest = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    previous_valid_until = models.DateTimeField(
        null=True, blank=True, help_text="The secret before the last roll works until then.",
    )
    order_mode = models.CharField(max_length=16, choices=OrderMode.choices, default=OrderMode.AUTO)
    scopes = models.JSONField(default=scopes.all_scopes, help_text="Any of read:market, read:account, write:orders.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Refused from then on; empty: never expires.")
    allowed_ips = models.JSONField(
        default=list, blank=True, help_text="Addresses and networks (IPv4, IPv6, CIDR) it is accepted from; empty: any.",
    )
    rate_limit = models.CharField(
        max_length=32, blank=True, default="", help_text='Requests per period, e.g. "10/s" or "600/min"; empty: none.',
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When the current key was generated.")
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.CharField(max_length=64, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PlatformApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "platform API key"
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_primary=True), name="one_primary_platform_key_per_user",
            ),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="platform_key_user_created")]

    def __str__(self) -> str:
        return f"{self.name} of {self.user}"

    def __repr__(self) -> str:
        return (
            f"<PlatformApiKey id={self.pk} user_id={self.user_id} primary={self.is_primary} "
            f"mode={self.order_mode} has_key={self.has_key}>"
        )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None and not self.has_key

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def in_grace(self, now=None) -> bool:
        return (
            self.previous_lookup_digest is not None and self.previous_valid_until is not None
            and self.previous_valid_until > (now or timezone.now())
        )

    @property
    def has_key(self) -> bool:
        return self.lookup_digest is not None

    def set_secret(self, plaintext: str) -> None:
        """Store ``plaintext`` in all three forms under the current pepper."""
        # The ignores: without Django stubs mypy reads a field attribute as its field class.
        self.key_hash = plaintext  # type: ignore[assignment]  # PepperedHashField hashes on assignment
        self.key_encrypted = plaintext  # type: ignore[assignment]  # EncryptedTextField encrypts on save
        self.lookup_digest = crypto.lookup_digest(plaintext, crypto.current_pepper())

    def clear_secret(self) -> None:
        self.key_hash = None  # type: ignore[assignment]  # as in set_secret
        self.key_encrypted = None  # type: ignore[assignment]
        self.lookup_digest = None
        self.clear_previous_secret()

    def keep_previous_secret(self, until) -> None:
        """Before ``set_secret`` of a roll: the current secret keeps working until ``until``."""
        self.previous_key_hash = self.key_hash
        self.previous_lookup_digest = self.lookup_digest
        self.previous_valid_until = until

    def clear_previous_secret(self) -> None:
        self.previous_key_hash = None  # type: ignore[assignment]  # as in set_secret
        self.previous_lookup_digest = None
        self.previous_valid_until = None

    def reveal(self) -> str | None:
        """The plaintext key for its owner (raises UndecryptableSecret if it can't)."""
        return self.key_encrypted if self.has_key else None


class KeyEventAction(models.TextChoices):
    CREATED = "created", "Created"
    REVEALED = "revealed", "Revealed"
    ROLLED = "rolled", "Rolled"
    REVOKED = "revoked", "Revoked"
    RENAMED = "renamed", "Renamed"
    SCOPES_CHANGED = "scopes_changed", "Scopes changed"
    EXPIRY_CHANGED = "expiry_changed", "Expiry changed"
    ALLOWLIST_CHANGED = "allowlist_changed", "IP allowlist changed"
    RATE_LIMIT_CHANGED = "rate_limit_changed", "Rate limit changed"
    MODE_CHANGED = "mode_changed", "Order mode changed"
    NEW_IP = "new_ip", "First use from a new address"


class PlatformKeyEvent(models.Model):
    """One line of a key's audit log: what happened, who did it, from where. Never the key."""

    key = models.ForeignKey(PlatformApiKey, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32, choices=KeyEventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="Who did it (empty: the key itself, or a command).",
    )
    ip = models.CharField(max_length=64, blank=True, default="", help_text="The client address it came from.")
    at = models.DateTimeField(default=timezone.now)
    detail = models.JSONField(default=dict, blank=True, help_text="What changed, from and to.")

    class Meta:
        verbose_name = "platform key event"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["key", "-at"], name="platform_key_event_newest")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M:%S})"


class PlatformKeyUsage(models.Model):
    """Requests of one key on one day (UTC) to one endpoint group, flushed in batches."""

    key = models.ForeignKey(PlatformApiKey, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    group = models.CharField(max_length=32)
    requests = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "platform key usage"
        verbose_name_plural = "platform key usage"
        constraints = [models.UniqueConstraint(fields=["key", "day", "group"], name="one_usage_row_per_key_day_group")]

    def __str__(self) -> str:
        return f"{self.requests} {self.group} requests on {self.day}"


class PlatformKeyAddress(models.Model):
    """An address a key has been used from (so first use from a new one is noticed)."""

    key = models.ForeignKey(PlatformApiKey, on_delete=models.CASCADE, related_name="addresses")
    ip = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "platform key address"
        constraints = [models.UniqueConstraint(fields=["key", "ip"], name="one_row_per_key_address")]

    def __str__(self) -> str:
        return f"{self.ip} (first seen {self.first_seen_at:%Y-%m-%d %H:%M})"


# --- Service key vault (docs/api/vault.md) ---------------------------------------------

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
