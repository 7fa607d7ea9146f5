"""Start-up checks for settings that a settings module can set without going through
config.env, which already refuses an unreadable value from the environment."""
from __future__ import annotations

from django.core import checks

from apikeys.conf import app_settings
from config.env import as_networks


@checks.register(checks.Tags.security)
def shared_sources_are_networks(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """At request time an unreadable list shares nothing (apikeys.authentication): safe,
    but TradingView's alerts would then wait out every other user's bad keys, so say so."""
    try:
        as_networks(app_settings.INVALID_APIKEY_SHARED_SOURCES)
    except ValueError:
        return [checks.Error(
            "INVALID_APIKEY_SHARED_SOURCES must list IP addresses or networks",
            hint="e.g. ['52.89.214.238', '10.0.0.0/8'], or comma-separated in .env",
            id="apikeys.E001",
        )]
    return []
