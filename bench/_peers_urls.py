"""Bench-only URLconf (bench/_peers_settings.py): the product's URLs plus
``bench/peer-ping``, the trading API's ping answer behind drf-api-key's ``HasAPIKey``.

The peer view mirrors ``trading.views.PingView`` (APIView, JSON renderer, no throttles,
same body) with drf-api-key's documented set-up: no authentication classes, the
``HasAPIKey`` permission, the key in ``Authorization: Api-Key <key>``. Its route is
listed first, which if anything gives the peer the (microsecond) URL-resolution edge.
"""
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from config.urlhelpers import slash_optional
from config.urls import urlpatterns as product_urlpatterns


class PeerPingView(APIView):
    authentication_classes: list = []
    permission_classes = [HasAPIKey]
    renderer_classes = [JSONRenderer]
    throttle_classes: list = []

    def get(self, request):
        return Response({"status": "success", "data": {"message": "pong", "broker": "sandbox"}})


urlpatterns = [slash_optional("bench/peer-ping", PeerPingView.as_view(), name="bench-peer-ping"), *product_urlpatterns]
