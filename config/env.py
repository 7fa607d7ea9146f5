"""Settings read from the environment, refusing what cannot be read as meant.

django-environ answers a value it cannot cast with a bare ``ValueError`` ("invalid
literal for int() with base 10: 'x'") that names neither the variable nor what it
should be, so an operator gets a traceback to decode. Worse, it reads any word it does
not know as a boolean False: ``HTTPS_ONLY=ture`` or ``HTTPS_ONLY=maybe`` would quietly
serve without HTTPS protections. Its floats are as lenient: it drops every character
that is not a digit, a comma, a dot or a minus and reads the last comma or dot as the
decimal point, so ``SANDBOX_STARTING_CASH=1,000,000`` gave 1000.0 and ``1e3`` gave 13.0.
This ``Env`` stops start-up instead, with an ``ImproperlyConfigured`` that names the
variable and the kind of value it takes. The value itself stays out of the message:
some of these variables hold secrets.
"""
from __future__ import annotations

import ipaddress
import math
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

FALSE_STRINGS = ("false", "off", "no", "n", "0", "")  # empty: "DEBUG=" in .env

_KINDS = {bool: "true or false", int: "a whole number", float: "a number"}


class Env(environ.Env):
    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError:
            # ``from None``: the original error quotes the value.
            raise _unreadable(var, _KINDS.get(cast, "a valid value")) from None

    @classmethod
    def parse_value(cls, value, cast):
        if cast is bool and isinstance(value, str):
            word = value.lower().strip()
            if word not in cls.BOOLEAN_TRUE_STRINGS and word not in FALSE_STRINGS and not word.lstrip("+-").isdigit():
                raise ValueError("not a boolean")
        if cast is float and isinstance(value, str):
            return _finite_float(value)
        return super().parse_value(value, cast)

    def db_url(self, var=environ.Env.DEFAULT_DATABASE_ENV, default=environ.Env.NOTSET, engine=None):
        try:
            config = super().db_url(var, default=default, engine=engine)
        except ValueError:
            config = {}
        if "ENGINE" not in config:  # an unknown scheme comes back without one
            raise _unreadable(var, "a database URL such as postgres://user@host:5432/name or sqlite:////path/to/db.sqlite3")
        return config

    db = db_url

    def networks(self, var, default=()) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """Comma-separated addresses or networks (``52.89.214.238,10.0.0.0/8,2001:db8::/32``)."""
        try:
            return as_networks(self.str(var, default=",".join(map(str, default))))
        except ValueError:
            raise _unreadable(var, "IP addresses or networks separated by commas, such as 52.89.214.238,10.0.0.0/8") from None

    def websocket_url(self, var: str) -> str:
        """A ws:// or wss:// URL with a host, or empty (the page's own host)."""
        value = self.str(var, default="").strip()
        if value:
            try:
                parts = urlsplit(value)
                parts.port  # noqa: B018 (raises ValueError for a bad port)
            except ValueError:
                raise _unreadable(var, "a ws:// or wss:// URL") from None
            if parts.scheme not in ("ws", "wss") or not parts.hostname:
                raise _unreadable(var, "a ws:// or wss:// URL")
        return value


def websocket_origin(url: str) -> list[str]:
    """The CSP source that lets a page connect to ``url`` (none for an empty one)."""
    if not url:
        return []
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"]


def as_networks(entries) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses or networks as ``ipaddress`` networks, from a comma-separated string (the
    environment's form) or any iterable of strings or networks (a settings module's).
    ValueError for anything that is not one."""
    if isinstance(entries, str):
        entries = entries.split(",")
    try:
        return tuple(ipaddress.ip_network(str(entry).strip(), strict=False) for entry in entries if str(entry).strip())
    except TypeError:  # not iterable: a number, None
        raise ValueError("not addresses or networks") from None


def _unreadable(var: str, what: str) -> ImproperlyConfigured:
    """The start-up error for a variable that can't be read as meant: its name and what it
    takes, never its value."""
    return ImproperlyConfigured(f"{var} must be {what}; fix it in .env or the environment")


def _finite_float(value: str) -> float:
    """Python's own float syntax (``2.5``, ``1e3``, ``1_000_000``), finite only: an
    ``inf`` timeout or ``nan`` cash balance is a typo, not a setting."""
    number = float(value.strip())  # ValueError for anything else, "1,000,000" included
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number
