"""The service key vault endpoints, /api/v1/api-keys/ (docs/api/vault.md).

Thin: parse, call ``apikeys.vault``, shape the answer. Every lookup is scoped to the
authenticated user, so another user's key id answers the same 404 as a missing one.
The list and detail views are GenericAPIViews only for ``get_serializer``, which gives
the browsable API its forms; the test endpoints take no body and stay plain APIViews.
"""
from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikeys import vault
from apikeys import vault_serializers as s
from apikeys.models import KeyType, ServiceApiKey
from config.throttling import PerUserThrottle

NOT_FOUND_MESSAGE = "API key not found"
TAGS = ["service key vault"]
_KEY_ID = re.compile(r"[0-9]{1,18}")  # fits a BIGINT: a longer id is just "not found"


class KeyTestThrottle(PerUserThrottle):
    """Each key test is a real call to someone else's service on the user's key, so a
    user gets at most the "service_key_test" rate of REST_FRAMEWORK's
    DEFAULT_THROTTLE_RATES (30/min when that names none)."""

    scope = "service_key_test"
    default_rate = "30/min"


class VaultMixin:
    """Shared by the vault endpoints: the key lookup."""

    request: Request  # set by the view it is mixed into

    def owned_key(self, raw_id: str) -> ServiceApiKey:
        key = None
        if _KEY_ID.fullmatch(raw_id):
            key = vault.service_key_get(user=self.request.user, key_id=int(raw_id))
        if key is None:
            raise NotFound(NOT_FOUND_MESSAGE)
        return key


KEY_EXAMPLE = {
    "id": 1, "key_type": "news_api", "key_name": "My News API Key", "is_active": True, "masked_key": "****abcd",
    "created_at": "2025-01-15T10:30:00Z", "updated_at": None, "last_used_at": None,
}
DUPLICATE_EXAMPLE = OpenApiExample(
    "duplicate type", value={"detail": vault.DUPLICATE_MESSAGE}, response_only=True, status_codes=["400"]
)
NOT_FOUND_EXAMPLE = OpenApiExample(
    "not found", value={"detail": NOT_FOUND_MESSAGE}, response_only=True, status_codes=["404"]
)
KEY_TEST_THROTTLED = OpenApiResponse(
    s.DetailOutput, description='More key tests than the "service_key_test" rate allows (THROTTLE_SERVICE_KEY_TEST)'
)
KEY_ID_PARAM = OpenApiParameter("key_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="ID of your API key")
TEST_EXAMPLES = [
    OpenApiExample("success", response_only=True, value={
        "status": "success", "service": "news_api", "message": "API key is valid and working",
        "response_time_ms": 245, "tested_at": "2025-01-15T15:00:00Z",
    }),
    OpenApiExample("failure", response_only=True, value={
        "status": "error", "service": "news_api", "message": "Invalid API key or service unavailable",
        "error_code": "UNAUTHORIZED", "response_time_ms": 120, "tested_at": "2025-01-15T15:00:00Z",
    }),
]


class ServiceKeyListView(VaultMixin, GenericAPIView):
    """Your keys for external services: list them, or store a new one (one active per type)."""

    serializer_class = s.ServiceKeyCreateInput
    queryset = ServiceApiKey.objects.none()  # for the schema only; lookups go through vault

    @extend_schema(
        summary="List my service API keys",
        parameters=[OpenApiParameter(
            "include_inactive", OpenApiTypes.BOOL, OpenApiParameter.QUERY,
            description="Include inactive keys, deleted ones among them (default false). true/false/1/0.",
        )],
        responses={
            200: s.ServiceKeyOutput(many=True),
            400: OpenApiResponse(s.ListQueryErrors, description="include_inactive is not a boolean"),
        },
        examples=[OpenApiExample("my keys", value=KEY_EXAMPLE, response_only=True)],  # wrapped in a list
        tags=TAGS,
    )
    def get(self, request):
        query = s.ListQuery(data=request.query_params.dict())  # a plain dict: "?include_inactive=" is not "absent"
        query.is_valid(raise_exception=True)
        keys = vault.service_key_list(
            user=request.user, include_inactive=query.validated_data.get("include_inactive", False)
        )
        return Response(s.ServiceKeyOutput(keys, many=True).data)

    @extend_schema(
        summary="Store a service API key",
        request=s.ServiceKeyCreateInput,
        responses={
            201: s.ServiceKeyOutput,
            400: OpenApiResponse(s.ServiceKeyCreateErrors, description="Invalid data or duplicate key type"),
        },
        examples=[
            OpenApiExample("news key", request_only=True, value={
                "key_type": "news_api", "api_key": "your-actual-api-key-here", "key_name": "My News API Key",
            }),
            OpenApiExample("created", response_only=True, status_codes=["201"], value=KEY_EXAMPLE),
            DUPLICATE_EXAMPLE,
        ],
        tags=TAGS,
    )
    def post(self, request):
        incoming = s.ServiceKeyCreateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            key = vault.service_key_create(user=request.user, **incoming.validated_data)
        except vault.DuplicateActiveKey as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(s.ServiceKeyOutput(key).data, status=status.HTTP_201_CREATED)


class ServiceKeyDetailView(VaultMixin, GenericAPIView):
    """One of your keys, active, inactive or deleted. The key value and type are fixed
    once stored: to replace a key, store a new one and delete this one. A deleted key
    comes back with ``{"is_active": true}``."""

    serializer_class = s.ServiceKeyUpdateInput
    queryset = ServiceApiKey.objects.none()

    def get_object(self) -> ServiceApiKey:
        # Also what the browsable API and OPTIONS call to build the PUT form.
        return self.owned_key(self.kwargs["key_id"])

    @extend_schema(
        summary="Show one of my service API keys",
        parameters=[KEY_ID_PARAM],
        responses={200: s.ServiceKeyOutput, 404: s.DetailOutput},
        examples=[OpenApiExample("key", value=KEY_EXAMPLE, response_only=True, status_codes=["200"]), NOT_FOUND_EXAMPLE],
        tags=TAGS,
    )
    def get(self, request, key_id):
        return Response(s.ServiceKeyOutput(self.get_object()).data)

    @extend_schema(
        summary="Rename or (de)activate a service API key",
        description=(
            "Only `key_name` and `is_active` can change; naming `api_key` or `key_type` is a 400. "
            "`is_active: true` also brings back a deleted key, unless another key of its type is active (400)."
        ),
        parameters=[KEY_ID_PARAM],
        request=s.ServiceKeyUpdateInput,
        responses={
            200: s.ServiceKeyOutput,
            400: OpenApiResponse(
                s.ServiceKeyUpdateErrors,
                description="Immutable field named, invalid data, or a second active key of this type",
            ),
            404: s.DetailOutput,
        },
        examples=[
            OpenApiExample("rename and deactivate", request_only=True,
                           value={"key_name": "Updated Key Name", "is_active": False}),
            OpenApiExample("updated", response_only=True, status_codes=["200"], value={
                **KEY_EXAMPLE, "key_name": "Updated Key Name", "is_active": False, "updated_at": "2025-01-15T14:30:00Z",
            }),
            OpenApiExample("key value named", response_only=True, status_codes=["400"],
                           value={"api_key": [s.IMMUTABLE_FIELDS["api_key"]]}),
            NOT_FOUND_EXAMPLE,
        ],
        tags=TAGS,
    )
    def put(self, request, key_id):
        return self._update(request, key_id)

    @extend_schema(
        summary="Rename or (de)activate a service API key (same as PUT)",
        parameters=[KEY_ID_PARAM],
        request=s.ServiceKeyUpdateInput,
        responses={
            200: s.ServiceKeyOutput, 400: OpenApiResponse(s.ServiceKeyUpdateErrors, description="See PUT"),
            404: s.DetailOutput,
        },
        examples=[OpenApiExample("rename", request_only=True, value={"key_name": "Renamed"}), NOT_FOUND_EXAMPLE],
        tags=TAGS,
    )
    def patch(self, request, key_id):
        return self._update(request, key_id)

    def _update(self, request, key_id):
        key = self.get_object()
        incoming = s.ServiceKeyUpdateInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            vault.service_key_update(key=key, **incoming.validated_data)
        except vault.DuplicateActiveKey as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(s.ServiceKeyOutput(key).data)

    @extend_schema(
        summary="Delete a service API key (soft delete)",
        description=(
            "Marks the key inactive and deleted: it is no longer used, but still listed with "
            "`include_inactive=true` and readable by id; `PATCH {\"is_active\": true}` brings it back. "
            "Deleting a deleted key is a 204 again."
        ),
        parameters=[KEY_ID_PARAM],
        request=None,
        responses={204: None, 404: s.DetailOutput},
        tags=TAGS,
    )
    def delete(self, request, key_id):
        vault.service_key_soft_delete(key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceKeyTestByIdView(VaultMixin, APIView):
    """Test one of your keys (active or not) with a real call to its service."""

    throttle_classes = [KeyTestThrottle]

    @extend_schema(
        summary="Test one of my service API keys against its service",
        description="Makes a real call to the service. A failed test is still HTTP 200 (the test ran).",
        parameters=[KEY_ID_PARAM],
        request=None,
        responses={200: s.KeyTestResultOutput, 404: s.DetailOutput, 429: KEY_TEST_THROTTLED},
        examples=[*TEST_EXAMPLES, NOT_FOUND_EXAMPLE],
        tags=TAGS,
    )
    def post(self, request, key_id):
        result = vault.service_key_test(key=self.owned_key(key_id))
        return Response(s.KeyTestResultOutput(result).data)


class ServiceKeyTestByTypeView(VaultMixin, APIView):
    """Test your active key of a type with a real call to its service."""

    throttle_classes = [KeyTestThrottle]

    @extend_schema(
        summary="Test my active service API key of a type",
        description="Makes a real call to the service. A failed test is still HTTP 200 (the test ran).",
        parameters=[OpenApiParameter("key_type", str, OpenApiParameter.PATH, enum=KeyType.values)],
        request=None,
        responses={
            200: s.KeyTestResultOutput, 400: s.UnknownKeyTypeOutput, 404: s.DetailOutput, 429: KEY_TEST_THROTTLED,
        },
        examples=[
            *TEST_EXAMPLES,
            OpenApiExample("unknown type", response_only=True, status_codes=["400"], value={
                "detail": f"Unknown key type. Valid types: {s.VALID_TYPES}", "valid_types": KeyType.values,
            }),
            OpenApiExample("none active", response_only=True, status_codes=["404"],
                           value={"detail": "No active news_api key"}),
        ],
        tags=TAGS,
    )
    def post(self, request, key_type):
        if key_type not in KeyType.values:
            return Response(
                {"detail": f"Unknown key type. Valid types: {s.VALID_TYPES}", "valid_types": KeyType.values},
                status=status.HTTP_400_BAD_REQUEST,
            )
        key = vault.service_key_get_active(user=request.user, key_type=key_type)
        if key is None:
            raise NotFound(f"No active {key_type} key")
        result = vault.service_key_test(key=key)
        return Response(s.KeyTestResultOutput(result).data)
