"""Bench-only URLconf (bench/_cost_settings.py): the product's URLs plus three answers
that each add one layer of what ``/api/v1/ping`` does on top of ``/healthz``, so
bench/ping_cost.py can put a server-CPU figure on each layer.

- ``bench/cost/healthz``: healthz's own view, routed where ping is;
- ``bench/cost/key-check``: a plain view answering ping's body after the platform-key
  check itself (``apikeys.verification.verify``: digest, the key row's read, memo), no DRF;
- ``bench/cost/drf``: ping's view class (``OpenAlgoView``: DRF request, JSON renderer,
  OpenAlgo errors) without authentication or permission.

Django tries the routes in order until one matches, and ``/healthz`` is near the end of
the list while ping comes early (the trading API's routes). So the three are listed just
before the trading API's routes: they resolve as ping does, and their differences are
the layers, not their places in the list.
"""
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_safe
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apikeys import verification
from config import health
from config.urls import urlpatterns as product_urlpatterns
from trading.views import OpenAlgoView

PONG = {"status": "success", "data": {"message": "pong", "broker": "sandbox"}}  # PingView's answer


@require_safe
def pong_after_key_check(request):
    if verification.verify(request.headers.get("X-API-KEY")) is None:
        return JsonResponse({"status": "error", "message": verification.INVALID_KEY_MESSAGE}, status=403)
    return JsonResponse(PONG)


class PongThroughDRF(OpenAlgoView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(PONG)


def _trading_routes_at() -> int:
    for index, pattern in enumerate(product_urlpatterns):
        included = getattr(pattern, "urlconf_name", None)  # include() has imported the module
        if getattr(included, "__name__", None) == "trading.urls":
            return index
    raise LookupError("config.urls includes no trading.urls")


cost_urlpatterns = [
    path("bench/cost/healthz", health.healthz),
    path("bench/cost/key-check", pong_after_key_check),
    path("bench/cost/drf", PongThroughDRF.as_view()),
]
_at = _trading_routes_at()
urlpatterns = [*product_urlpatterns[:_at], *cost_urlpatterns, *product_urlpatterns[_at:]]
