"""Several named keys per user: /api/v1/platform-keys/ (docs/api/platform-key.md).

Thin: parse, call ``apikeys.services``, shape with ``key_shapes``. JWT or session only (a
platform key cannot manage keys), and every endpoint acts on the signed-in user's own
keys: another user's key id is a 404, exactly like one that does not exist. Answers that
carry a plaintext key are never cached (``Cache-Control: no-store``).
"""
from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from apikeys import audit, key_shapes, serializers, services, usage
from apikeys.conf import app_settings
from apikeys.models import PlatformApiKey

_KEY_ID = re.compile(r"[0-9]{1,18}")
_DAYS = re.compile(r"[0-9]{1,3}")  # ASCII digits only: str.isdigit also takes "²"
_KEY_ID_PARAM = OpenApiParameter("key_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id of one of your keys")
_TAGS = ["platform keys"]
_NOT_FOUND = OpenApiResponse(serializers.DetailError, description="No such key of yours")
_REFUSED = OpenApiResponse(serializers.PlatformKeyErrors, description="A field is invalid, or the value is refused")


def actor_of(request) -> services.Actor:
    """The signed-in user and their address as the throttles see it (NUM_PROXIES)."""
    return services.Actor(user=request.user, ip=BaseThrottle().get_ident(request))


def _parsed(serializer_class, request, **kwargs) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
    incoming = serializer_class(data=data, **kwargs)
    incoming.is_valid(raise_exception=True)
    return dict(incoming.validated_data)


class NoStore(APIView):
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def own_key(self, request, key_id: str) -> PlatformApiKey:
        row = services.key_of(user=request.user, key_id=int(key_id)) if _KEY_ID.fullmatch(key_id) else None
        if row is None:
            raise NotFound("No such key of yours.")
        return row


class PlatformKeyListView(NoStore):
    @extend_schema(summary="List my platform keys", responses=serializers.PlatformKeyList, tags=_TAGS,
                   operation_id="api_v1_platform_keys_list")
    def get(self, request):
        rows = list(services.keys_of(user=request.user))
        return Response({"keys": [key_shapes.detail(r) for r in rows], "limit": app_settings.PLATFORM_KEYS_PER_USER})

    @extend_schema(
        summary="Create a named platform key (its plaintext is in this answer)",
        request=serializers.PlatformKeyCreateInput,
        responses={201: serializers.PlatformKeyWithSecret, 400: _REFUSED,
                   409: OpenApiResponse(serializers.DetailError, description="Already at the key limit")},
        tags=_TAGS,
    )
    def post(self, request):
        data = _parsed(serializers.PlatformKeyCreateInput, request)
        row, plaintext = services.key_create(user=request.user, actor=actor_of(request), **data)
        return Response({**key_shapes.detail(row), "api_key": plaintext}, status=status.HTTP_201_CREATED)


class PlatformKeyDetailView(NoStore):
    @extend_schema(summary="One of my platform keys", parameters=[_KEY_ID_PARAM],
                   responses={200: serializers.PlatformKeyDetail, 404: _NOT_FOUND}, tags=_TAGS)
    def get(self, request, key_id: str):
        return Response(key_shapes.detail(self.own_key(request, key_id)))

    @extend_schema(
        summary="Change a key's name, scopes, expiry, IP allowlist, rate limit or order mode",
        description="Takes effect at once in every server process.",
        parameters=[_KEY_ID_PARAM], request=serializers.PlatformKeySettingsInput,
        responses={200: serializers.PlatformKeyDetail, 400: _REFUSED, 404: _NOT_FOUND,
                   409: OpenApiResponse(serializers.DetailError, description="The key is revoked")},
        tags=_TAGS,
    )
    def patch(self, request, key_id: str):
        row = self.own_key(request, key_id)
        changes = _parsed(serializers.PlatformKeySettingsInput, request, partial=True)
        row = services.key_update(key=row, changes=changes, actor=actor_of(request))
        return Response(key_shapes.detail(row))

    @extend_schema(
        summary="Revoke a key: it stops working at once, everywhere",
        description="Idempotent: 204 whether or not it was already revoked. The row and its audit log stay.",
        parameters=[_KEY_ID_PARAM], request=None, responses={204: None, 404: _NOT_FOUND}, tags=_TAGS,
    )
    def delete(self, request, key_id: str):
        services.key_revoke(key=self.own_key(request, key_id), actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlatformKeyRollView(NoStore):
    @extend_schema(
        summary="Roll a key: a new secret; the old one works until the grace ends",
        parameters=[_KEY_ID_PARAM], request=serializers.PlatformKeyRollInput,
        responses={200: serializers.PlatformKeyWithSecret, 400: _REFUSED, 404: _NOT_FOUND,
                   409: OpenApiResponse(serializers.DetailError, description="The key is revoked")},
        tags=_TAGS,
    )
    def post(self, request, key_id: str):
        row = self.own_key(request, key_id)
        grace = _parsed(serializers.PlatformKeyRollInput, request)["grace_seconds"]
        row, plaintext = services.key_roll(key=row, grace_seconds=grace, actor=actor_of(request))
        return Response({**key_shapes.detail(row), "api_key": plaintext})


class PlatformKeyRevealView(NoStore):
    @extend_schema(summary="Show a key's plaintext again (audited)", parameters=[_KEY_ID_PARAM],
                   responses={200: serializers.PlatformKeySecret, 404: _NOT_FOUND}, tags=_TAGS)
    def get(self, request, key_id: str):
        row = self.own_key(request, key_id)
        return Response({"api_key": services.key_reveal(key=row, actor=actor_of(request))})


class PlatformKeyEventsView(NoStore):
    @extend_schema(summary="A key's audit log, newest first (at most 200 lines)", parameters=[_KEY_ID_PARAM],
                   responses={200: serializers.PlatformKeyEvents, 404: _NOT_FOUND}, tags=_TAGS)
    def get(self, request, key_id: str):
        row = self.own_key(request, key_id)
        return Response({"events": [audit.as_json(e) for e in audit.events_of(row, limit=200)]})


class PlatformKeyUsageView(NoStore):
    @extend_schema(
        summary="A key's requests per day and endpoint group",
        parameters=[_KEY_ID_PARAM, OpenApiParameter("days", OpenApiTypes.INT, description="1 to 366 (default 30)")],
        responses={200: serializers.PlatformKeyUsage, 400: _REFUSED, 404: _NOT_FOUND}, tags=_TAGS,
    )
    def get(self, request, key_id: str):
        row = self.own_key(request, key_id)
        raw = request.query_params.get("days", "30")
        if not _DAYS.fullmatch(raw) or not 1 <= int(raw) <= 366:
            raise ValidationError({"days": ["A whole number from 1 to 366."]})
        return Response(usage.report(row, days=int(raw)))
