"""DRF authentication with the platform key, wherever the client put it.

OpenAlgo clients send the key as ``"apikey"`` in the JSON body; browsers and curl use
``?apikey=``; others the ``X-API-KEY`` header. The first non-empty one wins, in that
order. As DRF's contract (and knox's) has it: no key → ``None`` (not ours, let another
authenticator or the permission check answer), a key that fails → an exception, always
the same message whatever was wrong with it.

Bad keys are counted per client address (never per key: the key is the secret) in
the shared cache (config.shared_cache: Redis when REDIS_URL is set, so every server
process shares the count; this process's own count while Redis is down). Past the ``invalid_apikey`` rate an address
gets 429 before any lookup,
even for a good key: otherwise a guesser would still learn when it hit.

Except from ``INVALID_APIKEY_SHARED_SOURCES``: addresses that many users share, such as
TradingView's four webhook senders, which send every user's alerts. Blocking good keys
there would let one user's mis-keyed alerts stop everyone's for the rest of the window.
From those addresses a good key is checked and passes past the limit, while bad keys
still count and get 429. An unknown key still costs no Argon2 (the digest finds no
row), and the right key is what a guesser from there would learn: the operator who lists
an address accepts that, against 64 hex digits (256 bits) of key.

Reading the shared count on every request would put a Redis round trip in front of
every good key, the most common request there is. So each process remembers the count
it last read or wrote per address and reads the shared one again only once that is
``INVALID_APIKEY_RECHECK_SECONDS`` old. A process's own failures count at once (the
increment returns the new count); failures in *other* processes reach it within the
recheck interval. Bad keys still increment the shared count every time, so 429 for bad
keys is exact across processes; only a good key from an address that another process
has just blocked may still pass for up to that interval. ``0`` reads the shared count
on every request.
"""
from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from typing import NamedTuple

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apikeys import key_policy, key_rate, verification
from apikeys.conf import app_settings
from apikeys.verification import INVALID_KEY_MESSAGE, VerifiedKey
from config.env import as_networks
from config.shared_cache import shared_cache as cache

logger = logging.getLogger(__name__)

MISSING_KEY_MESSAGE = (
    'Missing openalgo apikey: send it as "apikey" in the JSON body, '
    "the apikey query parameter or the X-API-KEY header"
)
THROTTLE_SCOPE = "invalid_apikey"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class InvalidApiKey(exceptions.AuthenticationFailed):
    """Rendered as 403 (no WWW-Authenticate challenge for this scheme)."""

    default_detail = INVALID_KEY_MESSAGE
    default_code = "invalid_apikey"


class KeyRefused(exceptions.AuthenticationFailed):
    """A genuine key refused for this request: expired, or not from an allowed address.
    Rendered as 403 naming the reason (not "invalid": the key is right)."""

    default_code = "apikey_refused"


class KeyRateLimited(exceptions.Throttled):
    default_detail = "This API key's rate limit is exceeded."
    default_code = "apikey_rate_limited"


class TooManyInvalidKeys(exceptions.Throttled):
    default_detail = "Too many invalid API keys from this address."
    default_code = "too_many_invalid_apikeys"


def presented_key(request) -> object | None:
    """The key the client sent (body, then query, then header), or None if none."""
    meta = request.META
    for value in _candidates(request, meta):
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            return value
    return None


def _candidates(request, meta):
    """In order and lazily: a request without a body never goes through DRF's parser
    selection and stream set-up, nor one without a query string through QueryDict, just
    to find there is nothing there."""
    if _declared_length(meta):
        data = request.data
        yield data.get("apikey") if isinstance(data, Mapping) else None
    if meta.get("QUERY_STRING"):
        yield request.query_params.get("apikey")
    yield meta.get("HTTP_X_API_KEY")


def _declared_length(meta) -> int:
    """The body length as DRF reads it: no or a bad Content-Length
    means no body, so DRF's request.data would be empty as well."""
    try:
        return int(meta.get("CONTENT_LENGTH", meta.get("HTTP_CONTENT_LENGTH", 0)))
    except (ValueError, TypeError):
        return 0


@functools.lru_cache(maxsize=16)
def _parsed_rate(rate: str) -> tuple[int, int]:
    """"30/min" → (30, 60), as DRF's SimpleRateThrottle.parse_rate; once per rate string."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0].lower()]


class _Seen(NamedTuple):
    """A count of one address's failures in one window, as of ``at`` (time.time())."""

    at: float
    window: int
    failures: int  # not "count": that would shadow tuple.count()


class InvalidKeyCounter:
    """Fixed-window count of bad keys per client address, in the shared cache, with this
    process's last sight of each address's count in front of it (see the module doc)."""

    def __init__(self, scope: str = THROTTLE_SCOPE, remembered: int = 10_000) -> None:
        self.scope = scope
        self.remembered = remembered  # addresses; past it the oldest sights go first
        self._seen: dict[str, _Seen] = {}

    def rate(self) -> tuple[int, int] | None:
        """(allowed failures, window seconds) from DEFAULT_THROTTLE_RATES, read now."""
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return _parsed_rate(rate) if rate else None

    def _key(self, ident: str, window: int) -> str:
        return f"keyward:{self.scope}:{ident}:{window}"

    def retry_after(self, ident: str) -> int | None:
        """Seconds until ``ident`` may try again, or None if it is under the limit."""
        rate = self.rate()
        if rate is None:
            return None
        allowed, seconds = rate
        now = time.time()
        window = int(now // seconds)
        seen = self._seen.get(ident)
        # Negative age: the wall clock went back; read again rather than trust it longer.
        if seen is None or seen.window != window or not 0 <= now - seen.at < app_settings.INVALID_APIKEY_RECHECK_SECONDS:
            seen = self._remember(ident, _Seen(now, window, cache.get(self._key(ident, window)) or 0))
        return None if seen.failures < allowed else _seconds_left(window, seconds, now)

    def record_failure(self, ident: str) -> int | None:
        """Count one bad key; seconds to wait if that one is past the limit, else None.

        A process that has not yet seen another's failures lets a bad key through to the
        lookup, but the count it gets back is the shared one, so it still answers 429.
        """
        rate = self.rate()
        if rate is None:
            return None
        allowed, seconds = rate
        now = time.time()
        window = int(now // seconds)
        key = self._key(ident, window)
        cache.add(key, 0, timeout=seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds + 1)
            count = 1
        self._remember(ident, _Seen(now, window, count))
        return _seconds_left(window, seconds, now) if count > allowed else None

    def forget(self) -> None:
        """Drop every remembered count (the shared ones are untouched)."""
        self._seen.clear()

    def _remember(self, ident: str, seen: _Seen) -> _Seen:
        # Plain dict operations, each atomic under the GIL: request threads share this
        # without a lock. Two threads racing here may leave the older of two counts; that
        # is as stale as the recheck interval already allows, and bad keys still count exactly.
        seen_by_ident = self._seen
        if len(seen_by_ident) >= self.remembered and ident not in seen_by_ident:
            for oldest in list(seen_by_ident)[: max(1, self.remembered // 10)]:
                seen_by_ident.pop(oldest, None)
        seen_by_ident.pop(ident, None)  # re-inserted last: dict order is age order
        seen_by_ident[ident] = seen
        return seen


def _seconds_left(window: int, seconds: int, now: float) -> int:
    return max(1, int((window + 1) * seconds - now))


invalid_keys = InvalidKeyCounter()


class KeyCheck(NamedTuple):
    """Whose key it is (None: refused), seconds to wait when refused for the address, and
    why a genuine key is refused (expired, address not allowed: ``apikeys.key_policy``)."""

    verified: VerifiedKey | None
    wait: int | None = None
    refusal: str | None = None


def check_key(presented: object, ident: str) -> KeyCheck:
    """The bad-key policy both transports share (HTTP here, WebSocket in trading.consumers)."""
    wait = invalid_keys.retry_after(ident)
    if wait is not None and not from_shared_source(ident):
        return KeyCheck(None, wait)
    verified = verification.verify(presented)
    if verified is None:
        logger.info("invalid platform key from %s", ident)
        return KeyCheck(None, invalid_keys.record_failure(ident))
    refusal = key_policy.refusal(expires_at=verified.expires_at, allowed=verified.allowed, ident=ident)
    if refusal is not None:
        logger.info("platform key %s refused from %s: %s", verified.key_id, ident, refusal)
        return KeyCheck(None, refusal=refusal)
    return KeyCheck(verified)


def from_shared_source(ident: str) -> bool:
    """Whether ``ident`` (the client address DRF's throttles see) is in
    INVALID_APIKEY_SHARED_SOURCES. Only asked of an address past the limit."""
    sources = app_settings.INVALID_APIKEY_SHARED_SOURCES
    if not sources:
        return False
    try:
        networks = shared_networks(sources)
    except TypeError:  # a list or a set: the cache's key must be hashable
        networks = shared_networks(tuple(sources))
    return key_policy.address_allowed(ident, networks)


@functools.lru_cache(maxsize=4)
def shared_networks(sources) -> tuple:
    """The setting as networks. The environment gives networks already (config.env); a
    settings module may list strings, or one comma-separated string. One it cannot read
    shares nothing: past the limit every address then waits, as with no setting, which
    is a 429 rather than a 500 on every request from a blocked address (the system check
    in apikeys.checks names the setting at start-up)."""
    try:
        return as_networks(sources)
    except ValueError:
        logger.error("INVALID_APIKEY_SHARED_SOURCES is not a list of IP addresses or networks: no address is shared")
        return ()


class PlatformKeyAuthentication(BaseAuthentication):
    """Authenticates as the key's owner; ``request.auth`` is the ``VerifiedKey``."""

    def authenticate(self, request) -> tuple[object, VerifiedKey] | None:
        presented = presented_key(request)
        if presented is None:
            return None
        check = check_key(presented, BaseThrottle().get_ident(request))
        if check.refusal is not None:
            raise KeyRefused(check.refusal)
        if check.verified is None:
            raise InvalidApiKey() if check.wait is None else TooManyInvalidKeys(wait=check.wait)
        if check.verified.rate is not None:
            wait = key_rate.wait_for(check.verified.key_id, check.verified.rate)
            if wait is not None:
                raise KeyRateLimited(wait=wait)
        return check.verified.user, check.verified

    def authenticate_header(self, request) -> None:
        # No challenge scheme: DRF then answers 403, as OpenAlgo does.
        return None


class PlatformKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.PlatformKeyAuthentication"
    name = "platformKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-KEY",
            "description": (
                'The platform key; also accepted as "apikey" in the JSON body or the apikey query parameter.'
            ),
        }
