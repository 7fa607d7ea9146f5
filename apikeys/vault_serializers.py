"""Input and output shapes of the service key vault (docs/api/vault.md), kept separate.

Inputs are strict about JSON types: DRF's CharField would accept 12345 for a key and
its BooleanField "yes" for is_active; here a JSON body must say what it means. (HTML
form posts from the browsable API still work: form values are all strings.)
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apikeys.models import KeyType, ServiceApiKey

API_KEY_MAX_LENGTH = 512
KEY_NAME_MAX_LENGTH = 100
VALID_TYPES = ", ".join(KeyType.values)
IMMUTABLE_FIELDS = {
    "api_key": "The key value cannot be changed. Store a new key (and delete this one) instead.",
    "key_type": "The key type cannot be changed. Store a new key of the other type instead.",
}


def _from_form(field: serializers.Field) -> bool:
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if _from_form(self):
            return super().to_internal_value(data)
        self.fail("invalid")


class KeyTypeField(serializers.ChoiceField):
    """The message never repeats what was sent: a client that swaps ``key_type`` and
    ``api_key`` would otherwise get its secret back in the error."""

    default_error_messages = {"invalid_choice": f"Not a valid key type. Valid types: {VALID_TYPES}."}

    def __init__(self, **kwargs):
        super().__init__(choices=KeyType.choices, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 64:
            self.fail("invalid_choice")
        return super().to_internal_value(data)


PLACEHOLDER = re.compile(r"\{\{.*\}\}")
PLACEHOLDER_MESSAGE = "The API key is still a template placeholder ({{...}}): put your own key in its place."


def validate_key_characters(value: str) -> str:
    """A key is one token: printable ASCII, no whitespace (it goes into an HTTP header
    or query string, where anything else breaks or gets silently altered), and not an
    unfilled ``{{variable}}`` that Bruno, Postman or the playground left in a template."""
    if PLACEHOLDER.search(value):
        raise serializers.ValidationError(PLACEHOLDER_MESSAGE)
    if any(ch.isspace() for ch in value):
        raise serializers.ValidationError("The API key must not contain spaces or other whitespace.")
    if not all(0x21 <= ord(ch) <= 0x7E for ch in value):
        raise serializers.ValidationError("The API key may only contain printable ASCII characters.")
    return value


class ServiceKeyCreateInput(serializers.Serializer):
    key_type = KeyTypeField(help_text=f"One of: {VALID_TYPES}.")
    api_key = StrictCharField(
        max_length=API_KEY_MAX_LENGTH, trim_whitespace=False, write_only=True,
        validators=[validate_key_characters], style={"input_type": "password"},
        help_text="The service's key. Stored encrypted; never shown again except masked.",
    )
    key_name = StrictCharField(
        max_length=KEY_NAME_MAX_LENGTH, required=False,
        help_text="A label for you. Defaults to the service's name.",
    )

    def validate(self, attrs):
        attrs.setdefault("key_name", KeyType(attrs["key_type"]).label)
        return attrs

    def get_initial(self):
        # The browsable API re-renders a rejected form from this: never with the key in it.
        initial = super().get_initial()
        if "api_key" in initial:
            initial["api_key"] = ""
        return initial


class ServiceKeyUpdateInput(serializers.Serializer):
    key_name = StrictCharField(max_length=KEY_NAME_MAX_LENGTH, required=False)
    is_active = StrictBooleanField(required=False)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            named = {field: [message] for field, message in IMMUTABLE_FIELDS.items() if field in data}
            if named:
                raise serializers.ValidationError(named)
        return super().to_internal_value(data)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send key_name and/or is_active.")
        return attrs


class ListQuery(serializers.Serializer):
    include_inactive = serializers.CharField(required=False)

    def validate_include_inactive(self, value: str) -> bool:
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise serializers.ValidationError("Must be true, false, 1 or 0.")


class ServiceKeyOutput(serializers.ModelSerializer):
    masked_key = serializers.SerializerMethodField(help_text="`****` + the last min(4, len // 2) characters.")

    class Meta:
        model = ServiceApiKey
        fields = ["id", "key_type", "key_name", "is_active", "masked_key", "created_at", "updated_at", "last_used_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_masked_key(self, obj: ServiceApiKey) -> str:
        return obj.masked_key


class KeyTestResultOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["success", "error"])
    service = serializers.CharField(help_text="The key type tested.")
    message = serializers.CharField()
    error_code = serializers.CharField(required=False, help_text="Only on failure.")
    response_time_ms = serializers.IntegerField()
    tested_at = serializers.DateTimeField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.error_code is None:
            data.pop("error_code")
        return data


class DetailOutput(serializers.Serializer):
    detail = serializers.CharField()


def _messages(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False, help_text=help_text)


class ServiceKeyCreateErrors(serializers.Serializer):
    """A 400 of POST: ``detail`` (duplicate active key of the type, unreadable body) or
    field errors, each a list of messages under the field's name."""

    detail = serializers.CharField(required=False, help_text="Duplicate key type, or a body that is not valid JSON.")
    key_type = _messages("Unknown key type (the message lists the valid ones).")
    api_key = _messages("Missing, empty, too long or not a single printable-ASCII token.")
    key_name = _messages("Not a string, or too long.")
    non_field_errors = _messages("The body is not a JSON object.")


class ServiceKeyUpdateErrors(serializers.Serializer):
    """A 400 of PUT/PATCH: ``detail`` (a second active key of the type, unreadable body)
    or field errors, each a list of messages under the field's name."""

    detail = serializers.CharField(required=False, help_text="Re-activation would make two active keys of a type.")
    api_key = _messages("The key value cannot be changed.")
    key_type = _messages("The key type cannot be changed.")
    key_name = _messages("Not a string, or too long.")
    is_active = _messages("Not a boolean.")
    non_field_errors = _messages("Nothing to change, or the body is not a JSON object.")


class ListQueryErrors(serializers.Serializer):
    include_inactive = _messages("Not true, false, 1 or 0.")


class UnknownKeyTypeOutput(serializers.Serializer):
    detail = serializers.CharField()
    valid_types = serializers.ListField(child=serializers.CharField())
