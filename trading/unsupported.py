"""OpenAlgo endpoints a paper broker cannot serve: JSON 501 naming what is missing.

Telegram and WhatsApp notifications need those services, and hosted strategies need
OpenAlgo's strategy host. A caller with a valid platform key gets OpenAlgo's error shape
saying so (any method, any sub-path), never a 404 that reads like a typo; the key is
checked first, as on every other key endpoint.
"""
from __future__ import annotations

from django.urls import re_path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response

from apikeys import scopes
from trading.views import OpenAlgoView

UNSUPPORTED = {
    "telegram": "Telegram notifications (telegram/*)",
    "whatsapp": "WhatsApp notifications (whatsapp/*)",
    "strategy": "Hosted strategies (strategy/*)",
}


class UnsupportedView(OpenAlgoView):
    required_scope = scopes.ANY_KEY
    feature = ""

    def answer(self, request, rest: str | None = None):
        message = f"{self.feature} are not supported by this server: Keyward is a paper broker for OpenAlgo clients"
        return Response({"status": "error", "message": message}, status=501)

    def get(self, request, *args, **kwargs):
        return self.answer(request, *args, **kwargs)

    post = put = patch = delete = get


def _view_for(prefix: str, feature: str) -> type[UnsupportedView]:
    """A view class per prefix, naming its feature."""
    # Left out of the OpenAPI schema: they are not operations of this server, and a
    # schema that lists a 5xx as an operation's answer reads as a server fault. The Bruno
    # collection (hence the playground) shows each with its 501.
    schema = extend_schema(exclude=True)
    view = type(f"Unsupported{prefix.title()}View", (UnsupportedView,), {"feature": feature})
    return extend_schema_view(get=schema, post=schema, put=schema, patch=schema, delete=schema)(view)


urlpatterns = [
    re_path(rf"^api/v1/{prefix}/(?P<rest>.+)$", _view_for(prefix, feature).as_view(),
            name=f"trading-unsupported-{prefix}")
    for prefix, feature in UNSUPPORTED.items()
]
