"""ASGI entry point: HTTP through Django (at most ASGI_MAX_CONCURRENT_REQUESTS at once,
config.concurrency), WebSocket through Channels (trading.routing).

Once everything is loaded, the objects start-up made are frozen out of the cyclic
garbage collector (``gc.freeze``): they live as long as the process, and a full
collection would otherwise walk every one of them each time, pausing requests in flight.
"""
import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from config.concurrency import ConcurrencyLimit  # noqa: E402
from trading import routing  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ConcurrencyLimit(django_asgi_app, settings.ASGI_MAX_CONCURRENT_REQUESTS),
        # Sockets authenticate with the platform key inside a message, never with the
        # session cookie, so a cross-site page gains nothing and API clients that send no
        # Origin header (SDKs, bots) are not turned away.
        "websocket": URLRouter(routing.websocket_urlpatterns),
    }
)

get_resolver().url_patterns  # noqa: B018 (read for its effect: import every view now, not on the first request)
gc.freeze()
