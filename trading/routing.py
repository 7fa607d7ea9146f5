"""WebSocket routes: OpenAlgo's clients connect to ``ws://host:port`` (path ``/``), the
playground and proxies to ``/ws/``; both reach the same consumer."""
from django.urls import re_path

from trading.consumers import MarketDataConsumer

websocket_urlpatterns = [
    re_path(r"^(?:ws/?)?$", MarketDataConsumer.as_asgi()),
]
