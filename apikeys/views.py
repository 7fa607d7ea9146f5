"""Platform-key endpoints, account endpoints and the /apikey/ page (docs/api/platform-key.md).

Thin: parse, call a service, shape the answer. Every endpoint acts on the
authenticated user only; no user id is ever read from a request.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt import views as jwt_views

from apikeys import scopes, serializers, services
from apikeys.key_views import actor_of
from config.throttling import PerAddressThrottle

INVALID_MODE_MESSAGE = 'Invalid mode. Must be "auto" or "semi_auto"'


class PlatformKeyView(APIView):
    """GET: see your primary key and mode. POST: regenerate it. DELETE: revoke it.

    GET and POST answer with the plaintext key, so no answer here may be cached.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(summary="Show my platform API key", responses=serializers.PlatformKeyOutput, tags=["platform key"])
    def get(self, request):
        row = services.platform_key_get(user=request.user)
        payload = {
            "login_username": request.user.get_username(),
            "has_api_key": bool(row and row.has_key),
            "api_key": services.key_reveal(key=row, actor=actor_of(request)) if row else None,
            "order_mode": row.order_mode if row else "auto",
        }
        return Response(payload)

    @extend_schema(
        summary="Generate or regenerate my platform API key",
        request=None,
        responses=serializers.PlatformKeyRegenerated,
        tags=["platform key"],
    )
    def post(self, request):
        row, plaintext = services.platform_key_regenerate(user=request.user, actor=actor_of(request))
        return Response(
            {"message": "API key updated successfully.", "api_key": plaintext, "key_id": row.pk}
        )

    @extend_schema(
        summary="Revoke my platform API key",
        description="Idempotent: 204 whether or not a key was there; afterwards there is none.",
        request=None,
        responses={204: None},
        tags=["platform key"],
    )
    def delete(self, request):
        services.platform_key_revoke(user=request.user, actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrderModeView(APIView):
    @extend_schema(
        summary="Set my order mode",
        request=serializers.OrderModeInput,
        responses={200: serializers.OrderModeOutput, 400: serializers.ErrorOutput},
        examples=[OpenApiExample("semi-auto", value={"mode": "semi_auto"}, request_only=True)],
        tags=["platform key"],
    )
    def post(self, request):
        try:
            data = request.data
        except ParseError:  # unreadable JSON is "anything else" too: the same answer as a bad mode
            data = None
        incoming = serializers.OrderModeInput(data=data if isinstance(data, dict) else {})
        if not incoming.is_valid():
            return Response({"error": INVALID_MODE_MESSAGE}, status=status.HTTP_400_BAD_REQUEST)
        mode = incoming.validated_data["mode"]
        services.platform_key_set_mode(user=request.user, mode=mode, actor=actor_of(request))
        return Response({"message": f"Order mode updated to {mode}", "mode": mode})


class RegisterThrottle(PerAddressThrottle):
    scope = "register"


class RegisterView(APIView):
    """Self-service sign-up, only when ALLOW_SIGNUP is on (off by default)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [RegisterThrottle]

    @extend_schema(
        summary="Create an account (when ALLOW_SIGNUP is true)",
        request=serializers.RegisterInput,
        responses={
            201: serializers.RegisterOutput,
            400: OpenApiResponse(serializers.RegisterErrors, description="Invalid, taken or weak credentials"),
            403: OpenApiResponse(serializers.DetailError, description="Sign-up is disabled"),
            429: OpenApiResponse(serializers.DetailError, description="Too many sign-ups from this address"),
        },
        tags=["auth"],
    )
    def post(self, request):
        if not settings.ALLOW_SIGNUP:
            return Response({"detail": "Sign-up is disabled on this server."}, status=status.HTTP_403_FORBIDDEN)
        incoming = serializers.RegisterInput(data=request.data if isinstance(request.data, dict) else {})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        user = get_user_model().objects.create_user(
            username=data["username"], password=data["password"], email=data.get("email", "")
        )
        return Response({"id": user.pk, "username": user.get_username()}, status=status.HTTP_201_CREATED)


# simplejwt's views document only their 200; these are the answers they really give.
TOKEN_ERRORS = {
    400: OpenApiResponse(serializers.TokenFieldErrors, description="A field is missing or blank"),
    401: OpenApiResponse(serializers.TokenRejected, description="Wrong credentials or an invalid refresh token"),
}


@extend_schema_view(post=extend_schema(
    summary="Exchange a refresh token for a new access token (and a new refresh token)",
    responses={200: jwt_serializers.TokenRefreshSerializer, **TOKEN_ERRORS}, tags=["auth"],
))
class TokenRefreshView(jwt_views.TokenRefreshView):
    pass


@extend_schema_view(post=extend_schema(
    summary="Sign out: blacklist a refresh token",
    responses={
        200: OpenApiResponse(inline_serializer("TokenBlacklisted", fields={}), description="An empty JSON object"),
        **TOKEN_ERRORS,
    },
    tags=["auth"],
))
class TokenBlacklistView(jwt_views.TokenBlacklistView):
    pass


class ApiKeyPage(LoginRequiredMixin, TemplateView):
    """The /apikey/ page; its script talks to the JSON endpoints above."""

    template_name = "apikeys/apikey.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "scope_choices": list(scopes.DESCRIPTIONS.items())}
