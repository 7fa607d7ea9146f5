"""Bench-only URLconf (bench/_bench_settings.py): the product's URLs plus ping's answer
from ping's own view class without its key check, and behind drf-api-key's ``HasAPIKey``.

- ``bench/no-auth``: ``trading.views.PingView`` with no authentication and AllowAny: the
  DRF view ping is, minus the platform-key check (the auth-overhead baseline);
- ``bench/peer-ping``: the same view with drf-api-key's documented set-up (no
  authentication classes, ``HasAPIKey``, the key in ``Authorization: Api-Key <key>``).

Both are listed just before the trading API's routes, so they resolve as ping does.
"""
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework_api_key.permissions import HasAPIKey

from config.urls import urlpatterns as product_urlpatterns
from trading.views import PingView


class NoAuthPing(PingView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class PeerPing(PingView):
    authentication_classes: list = []
    permission_classes = [HasAPIKey]


def _trading_routes_at() -> int:
    for index, pattern in enumerate(product_urlpatterns):
        if getattr(getattr(pattern, "urlconf_name", None), "__name__", None) == "trading.urls":
            return index
    raise LookupError("config.urls includes no trading.urls")


_at = _trading_routes_at()
urlpatterns = [
    *product_urlpatterns[:_at],
    path("bench/no-auth", NoAuthPing.as_view()),
    path("bench/peer-ping", PeerPing.as_view()),
    *product_urlpatterns[_at:],
]
