"""ASGI entry point: HTTP through Django, WebSocket through Channels (trading.routing)."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from config.request_threads import ThreadReusingASGIHandler  # noqa: E402

django_asgi_app = ThreadReusingASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

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
