"""Input and output shapes of the platform-key endpoints (kept separate, HackSoft style)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from rest_framework import serializers

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
