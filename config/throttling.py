"""The one throttle base: DRF's rate throttle with its rate read at call time and its
counts in the shared cache (``config.shared_cache``: Redis across processes, this
process's memory while Redis is down). Every throttle of the project derives from it."""
from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from config.shared_cache import shared_cache


class SharedRateThrottle(SimpleRateThrottle):
    """``scope``'s rate from REST_FRAMEWORK's DEFAULT_THROTTLE_RATES, else ``default_rate``."""

    cache = shared_cache
    default_rate: str | None = None

    def get_rate(self) -> str | None:
        # Read at call time (the class attribute would be bound at import), so a changed
        # setting takes effect without a restart.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate


class PerUserThrottle(SharedRateThrottle, UserRateThrottle):
    """Counts per signed-in user (per client address for anyone else): DRF's
    UserRateThrottle on the shared base."""


class PerAddressThrottle(SharedRateThrottle):
    """Counts per client address (``NUM_PROXIES`` decides which one)."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
