"""ASGI entry point: HTTP through Django, WebSocket through Channels (trading.routing).

Once everything is loaded, the objects start-up made are frozen out of the cyclic
garbage collector (``gc.freeze``): they live as long as the process, yet a full
collection walked every one of them, each time pausing the whole process, requests in
flight included, for ~100 ms on the benchmark machine (every second or two under load).
Frozen, a full collection walks only what requests created since: ~20 ms.
"""
import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from config.request_threads import ThreadReusingASGIHandler  # noqa: E402

django_asgi_app = ThreadReusingASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from trading import routing  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Sockets authenticate with the platform key inside a message, never with the
        # session cookie, so a cross-site page gains nothing and API clients that send no
        # Origin header (SDKs, bots) are not turned away.
        "websocket": URLRouter(routing.websocket_urlpatterns),
    }
)

# Import every view module now (Django would on the first request), then freeze.
get_resolver().url_patterns
gc.collect()
gc.freeze()
