"""The playground page and its JSON helpers (docs/api/playground.md).

Session only: the page is for a signed-in browser, and these endpoints hand that
browser its own platform key and a short-lived JWT so it can call the API the way an
outside client does. Every answer carrying a secret is marked ``no-store``.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from apikeys import services
from apikeys.key_views import actor_of
from config import errors
from playground import catalog, postman
from playground.bruno import BruParseError

logger = logging.getLogger(__name__)

_TAGS = ["playground"]
_NO_SESSION = OpenApiResponse(description="Not signed in (session login required)")


def _private(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


class SessionView(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc):
        if isinstance(exc, BruParseError):  # no collections/ (or no bruno.json): a deployment problem
            logger.error("Playground collection unavailable: %s", exc)
            return Response({"detail": "The API collection is not available on this server."},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return super().handle_exception(exc)


class PlaygroundPage(LoginRequiredMixin, TemplateView):
    """The page; its script loads the endpoint list and the key from the views below."""

    template_name = "playground/playground.html"

    def http_method_not_allowed(self, request, *args, **kwargs):
        # JSON like everything else under /playground/, not Django's empty 405.
        return errors.method_not_allowed(request, self._allowed_methods())

    def get_context_data(self, **kwargs):
        # Empty: the page's own host. Set when the stream has a port or host of its own.
        return {**super().get_context_data(**kwargs), "websocket_url": settings.WEBSOCKET_URL}


class ApiKeyView(SessionView):
    @extend_schema(
        summary="My platform API key, for the playground",
        responses={
            200: inline_serializer("PlaygroundApiKey", {"api_key": serializers.CharField(help_text='"" if none')}),
            403: _NO_SESSION,
            503: OpenApiResponse(description="The stored key cannot be decrypted with FERNET_KEYS"),
        },
        tags=_TAGS,
    )
    def get(self, request):
        row = services.platform_key_get(user=request.user)
        # Audited like every reveal of a key (once per 10 minutes per address).
        plaintext = services.key_reveal(key=row, actor=actor_of(request)) if row else None
        return _private(Response({"api_key": plaintext or ""}))


class TokenView(SessionView):
    """A JWT access token for the signed-in user, so the page can call the Bearer
    endpoints (key vault, platform key, agents) exactly as curl or Bruno would."""

    @extend_schema(
        summary="A short-lived JWT access token for the signed-in user",
        responses={
            200: inline_serializer("PlaygroundToken", {
                "access": serializers.CharField(), "expires_in": serializers.IntegerField(help_text="seconds"),
            }),
            403: _NO_SESSION,
        },
        tags=_TAGS,
    )
    def get(self, request):
        token = AccessToken.for_user(request.user)
        return _private(Response({"access": str(token), "expires_in": int(token.lifetime.total_seconds())}))


class CollectionsView(SessionView):
    @extend_schema(
        summary="The Bruno collection as JSON and the Postman v2.1 collection generated from it",
        responses={
            200: inline_serializer("PlaygroundCollection", {
                "name": serializers.CharField(),
                "type": serializers.ChoiceField(choices=["bruno", "postman"]),
                "data": serializers.JSONField(),
            }, many=True),
            403: _NO_SESSION,
        },
        tags=_TAGS,
    )
    def get(self, request):
        collection = catalog.collection_load()
        return Response([
            {"name": f"{collection.name} (Bruno)", "type": "bruno", "data": catalog.bruno_export(collection)},
            {"name": f"{collection.name} (Postman v2.1)", "type": "postman",
             "data": postman.postman_collection(collection)},
        ])


class PlaygroundEndpoint(serializers.Serializer):
    name = serializers.CharField()
    method = serializers.CharField(help_text="GET, POST, ... or WS")
    path = serializers.CharField()
    body = serializers.JSONField(required=False, help_text="apikey values blanked")
    params = serializers.DictField(child=serializers.CharField(), required=False)
    description = serializers.CharField(required=False)
    auth = serializers.ChoiceField(choices=["apikey", "bearer", "none"], help_text="how the page authenticates it")


class EndpointsView(SessionView):
    @extend_schema(
        summary="Every endpoint of the collection, grouped by category",
        responses={
            200: inline_serializer("PlaygroundEndpoints", {
                category: PlaygroundEndpoint(many=True) for category in catalog.CATEGORIES
            }),
            403: _NO_SESSION,
        },
        tags=_TAGS,
    )
    def get(self, request):
        return Response(catalog.endpoints_grouped())
