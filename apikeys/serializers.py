"""Input and output shapes of the platform-key endpoints (kept separate, HackSoft style)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from rest_framework import serializers

from apikeys import scopes
from apikeys.models import OrderMode


class PlatformKeyOutput(serializers.Serializer):
    login_username = serializers.CharField()
    has_api_key = serializers.BooleanField()
    api_key = serializers.CharField(allow_null=True, help_text="The plaintext key, shown to its owner only.")
    order_mode = serializers.ChoiceField(choices=OrderMode.choices)


class PlatformKeyRegenerated(serializers.Serializer):
    message = serializers.CharField()
    api_key = serializers.CharField()
    key_id = serializers.IntegerField()


class OrderModeInput(serializers.Serializer):
    mode = serializers.ChoiceField(choices=OrderMode.choices)


class OrderModeOutput(serializers.Serializer):
    message = serializers.CharField()
    mode = serializers.ChoiceField(choices=OrderMode.choices)


class ErrorOutput(serializers.Serializer):
    error = serializers.CharField()


class RegisterInput(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)

    def validate_username(self, value: str) -> str:
        if get_user_model().objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate(self, attrs):
        user = get_user_model()(username=attrs["username"], email=attrs.get("email", ""))
        validate_password(attrs["password"], user)
        return attrs


class RegisterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


# --- Error shapes, for the schema ------------------------------------------------------

def _messages(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False, help_text=help_text)


class DetailError(serializers.Serializer):
    detail = serializers.CharField()


class RegisterErrors(serializers.Serializer):
    """A 400 of sign-up: field errors, each a list of messages under the field's name
    (``detail`` for a body that is not valid JSON)."""

    detail = serializers.CharField(required=False)
    username = _messages("Missing, taken, too long or with characters other than letters, digits and @.+-_")
    password = _messages("Missing or too long.")
    email = _messages("Not an email address.")
    non_field_errors = _messages("The password validators' verdicts, or a body that is not a JSON object.")


class TokenFieldErrors(serializers.Serializer):
    """A 400 of the token endpoints: field errors (``detail`` for unreadable JSON)."""

    detail = serializers.CharField(required=False)
    username = _messages("Missing or blank (obtain only).")
    password = _messages("Missing or blank (obtain only).")
    refresh = _messages("Missing or blank (refresh and blacklist).")
    non_field_errors = _messages("The body is not a JSON object.")


class TokenRejected(serializers.Serializer):
    """A 401 of the token endpoints: wrong credentials, or a refresh token that is
    malformed, expired or blacklisted."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text='"token_not_valid" for a bad refresh token.')


# --- Several keys per user (/api/v1/platform-keys/) -------------------------------------

class PlatformKeySettingsInput(serializers.Serializer):
    """What a key may do; every field optional (a PATCH changes only what it names)."""

    name = serializers.CharField(max_length=100, required=False)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=list(scopes.ALL_SCOPES)), required=False, allow_empty=False,
        help_text="Any of read:market, read:account, write:orders (new keys: all three).",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Null: never expires.")
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100,
        help_text="IPv4 / IPv6 addresses and CIDR networks; empty: any address.",
    )
    rate_limit = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=32,
        help_text='e.g. "10/s", "600/min", "10000/hour"; empty or null: none.',
    )
    order_mode = serializers.ChoiceField(choices=OrderMode.choices, required=False)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("expires_at must be in the future")
        return value


class PlatformKeyCreateInput(PlatformKeySettingsInput):
    name = serializers.CharField(max_length=100)


class PlatformKeyRollInput(serializers.Serializer):
    grace_seconds = serializers.IntegerField(
        min_value=0, max_value=86400, default=0,
        help_text="How long the old secret keeps working (0: it stops at once).",
    )


class PlatformKeyDetail(serializers.Serializer):
    """A key as its owner sees it: never the secret (see PlatformKeyWithSecret)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    is_primary = serializers.BooleanField()
    state = serializers.ChoiceField(choices=["active", "expired", "revoked"])
    hint = serializers.CharField(allow_null=True, help_text="The key's last four characters, masked.")
    scopes = serializers.ListField(child=serializers.CharField())
    order_mode = serializers.ChoiceField(choices=OrderMode.choices)
    expires_at = serializers.DateTimeField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True, help_text="Whole days until expiry (null: never).")
    allowed_ips = serializers.ListField(child=serializers.CharField())
    rate_limit = serializers.CharField(allow_blank=True)
    grace_ends_at = serializers.DateTimeField(allow_null=True, help_text="The rolled-out secret works until then.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.CharField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class PlatformKeyWithSecret(PlatformKeyDetail):
    api_key = serializers.CharField(help_text="The plaintext key: shown on create and roll.")


class PlatformKeyList(serializers.Serializer):
    keys = PlatformKeyDetail(many=True)
    limit = serializers.IntegerField(help_text="How many live keys a user may have.")


class PlatformKeySecret(serializers.Serializer):
    api_key = serializers.CharField(allow_null=True)


class PlatformKeyEventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    label = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True)
    ip = serializers.CharField(allow_null=True)
    detail = serializers.DictField()


class PlatformKeyEvents(serializers.Serializer):
    events = PlatformKeyEventOutput(many=True)


class PlatformKeyUsageDay(serializers.Serializer):
    day = serializers.DateField()
    total = serializers.IntegerField()
    groups = serializers.DictField(child=serializers.IntegerField(), help_text="Requests per endpoint group.")


class PlatformKeyUsage(serializers.Serializer):
    days = serializers.IntegerField()
    total = serializers.IntegerField()
    by_group = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="read:market, read:account, write:orders, other (any-key endpoints) and stream (WebSocket sign-ins).",
    )
    by_day = PlatformKeyUsageDay(many=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.CharField(allow_null=True)


class PlatformKeyErrors(serializers.Serializer):
    """A 400 of the platform-keys endpoints: ``detail`` for a refused value, or field
    errors under the field's name (a list of messages; for a list field, by index)."""

    detail = serializers.CharField(required=False)
    name = serializers.JSONField(required=False)
    scopes = serializers.JSONField(required=False)
    expires_at = serializers.JSONField(required=False)
    allowed_ips = serializers.JSONField(required=False)
    rate_limit = serializers.JSONField(required=False)
    order_mode = serializers.JSONField(required=False)
    grace_seconds = serializers.JSONField(required=False)
    days = serializers.JSONField(required=False)
    non_field_errors = serializers.JSONField(required=False)
