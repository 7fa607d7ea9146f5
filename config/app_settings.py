"""One app's settings, read at call time: each app's ``conf.py`` holds its defaults.

Attributes are looked up on ``django.conf.settings`` on every access, falling back to
the app's defaults, so ``override_settings`` and pytest-django's ``settings`` fixture
take effect without reloading modules (import-time binding would need ``reload()``).
"""
from __future__ import annotations

from typing import Any

from django.conf import settings


class AppSettings:
    def __init__(self, defaults: dict[str, Any]) -> None:
        self._defaults = defaults

    def __getattr__(self, name: str) -> Any:
        defaults = self.__dict__["_defaults"]
        if name not in defaults:
            raise AttributeError(name)
        return getattr(settings, name, defaults[name])
