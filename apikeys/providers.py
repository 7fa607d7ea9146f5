"""External services behind the vault's key types: where they live, how a key travels,
and what every answer (or failure to answer) means.

One small ``Provider`` subclass per key type. ``Provider.request`` is the single path
to a service: a real ``requests`` call with the timeout from settings, no redirects
(a redirect would carry the key to another host: requests drops ``Authorization`` on a
cross-host redirect but not ``X-Api-Key`` or a query-string key), a capped body, and
every outcome turned into either parsed JSON or a ``ProviderError`` with an
``error_code``; the request's database connection is handed back for the call's duration.
Key tests use it here; the agents app calls the same method for real
work, so both map failures identically.

Messages are fixed per error code: no exception text, URL or provider body reaches a
caller (FMP's key travels in the query string, so a requests exception's text contains
it). What the provider said goes to the log at DEBUG, through the redacting record
factory.
"""
from __future__ import annotations

import enum
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import requests
import urllib3.exceptions
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apikeys.models import KeyType

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
USER_AGENT = "Keyward/1.0"  # key tests and the agents alike
SUCCESS_MESSAGE = "API key is valid and working"


class ErrorCode(enum.StrEnum):
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    TIMEOUT = "TIMEOUT"
    NETWORK_ERROR = "NETWORK_ERROR"
    SERVICE_ERROR = "SERVICE_ERROR"
    INVALID_RESPONSE = "INVALID_RESPONSE"
    UNSUPPORTED = "UNSUPPORTED"


MESSAGES = {
    ErrorCode.UNAUTHORIZED: "Invalid API key or service unavailable",
    ErrorCode.FORBIDDEN: "The service refused this key for this request (plan or permissions)",
    ErrorCode.RATE_LIMITED: "The service's rate limit or quota for this key is used up; try again later",
    ErrorCode.TIMEOUT: "The service did not answer in time",
    ErrorCode.NETWORK_ERROR: "Could not reach the service (DNS, connection or TLS failure)",
    ErrorCode.SERVICE_ERROR: "The service had an internal error; try again later",
    ErrorCode.INVALID_RESPONSE: "The service answered with something unexpected",
    ErrorCode.UNSUPPORTED: "Keys of this type have no service to test against",
}


class ProviderError(Exception):
    """A failed call to a provider, already classified. Its text never holds a key."""

    def __init__(self, code: ErrorCode | str, message: str | None = None, *, http_status: int | None = None):
        self.code = ErrorCode(code)
        self.message = message or MESSAGES[self.code]
        self.http_status = http_status
        super().__init__(f"{self.code}: {self.message}")


# --- Classification, reusable by any caller of an external service --------------------

def classify_status(status: int) -> ErrorCode | None:
    """The error code an HTTP status means on its own; None for 2xx."""
    if 200 <= status < 300:
        return None
    if status == 401:
        return ErrorCode.UNAUTHORIZED
    if status in (402, 403):  # 402: FMP's "not in your plan"
        return ErrorCode.FORBIDDEN
    if status == 429:
        return ErrorCode.RATE_LIMITED
    if status >= 500:
        return ErrorCode.SERVICE_ERROR
    return ErrorCode.INVALID_RESPONSE  # 3xx (we never follow) and other 4xx


def classify_response(response: requests.Response) -> ProviderError | None:
    """Status-only classification of a response (provider bodies refine it)."""
    code = classify_status(response.status_code)
    return None if code is None else ProviderError(code, http_status=response.status_code)


def classify_error_text(text: str) -> ErrorCode | None:
    """What an error string in a body means, for services that answer errors in text
    (Finnhub's ``{"error": ...}``, FMP's ``{"Error Message": ...}``), even under 200."""
    lowered = text.lower()
    if "api key" in lowered or "apikey" in lowered or "token" in lowered:
        return ErrorCode.UNAUTHORIZED
    if "limit" in lowered or "too many" in lowered or "quota" in lowered:
        return ErrorCode.RATE_LIMITED
    if "access" in lowered or "subscription" in lowered or "premium" in lowered or "exclusive" in lowered:
        return ErrorCode.FORBIDDEN
    return None


def _wrapped_read_timeout(exc: BaseException) -> bool:
    # requests re-raises a read timeout *while reading the body* as ConnectionError.
    return any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in getattr(exc, "args", ()))


def classify_exception(exc: BaseException) -> ProviderError:
    """Map an exception raised by a ``requests`` call. Never uses ``str(exc)``."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, requests.Timeout) or _wrapped_read_timeout(exc):
        return ProviderError(ErrorCode.TIMEOUT)
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return ProviderError(ErrorCode.INVALID_RESPONSE)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return ProviderError(ErrorCode.NETWORK_ERROR, "The service's base URL in the settings is not a usable URL")
    # ConnectionError (refused, DNS, reset), SSLError, ChunkedEncodingError, any other
    # RequestException, and a header value http.client cannot encode.
    return ProviderError(ErrorCode.NETWORK_ERROR)


# --- Results of a key test ---------------------------------------------------------------

@dataclass(frozen=True)
class KeyTestResult:
    service: str
    error_code: ErrorCode | None
    message: str
    response_time_ms: int
    tested_at: datetime

    @property
    def status(self) -> str:
        return "success" if self.error_code is None else "error"

    @property
    def status_label(self) -> str:
        """What the key row records: "success" or the error code."""
        return self.status if self.error_code is None else str(self.error_code)


@dataclass(frozen=True)
class ProviderResponse:
    status_code: int
    body: Any
    elapsed_ms: int


# --- Providers ------------------------------------------------------------------------

class Provider:
    """One external service. Subclasses say where it is and how the key travels;
    ``check_test_body`` / ``error_from_body`` know the service's own answer shapes."""

    key_type: ClassVar[str]
    base_url_setting: ClassVar[str]
    test_path: ClassVar[str]
    test_params: ClassVar[dict[str, str]] = {}
    key_header: ClassVar[str | None] = None
    key_query_param: ClassVar[str | None] = None

    def base_url(self) -> str:
        return str(getattr(settings, self.base_url_setting)).rstrip("/")

    @staticmethod
    def timeout() -> float:
        return float(getattr(settings, "PROVIDER_TIMEOUT_SECONDS", 10.0))

    def credentials(self, api_key: str) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, query params) carrying ``api_key`` the way this service wants it."""
        headers = {self.key_header: api_key} if self.key_header else {}
        params = {self.key_query_param: api_key} if self.key_query_param else {}
        return headers, params

    def error_from_body(self, status: int, body: Any) -> ProviderError | None:
        """A service-specific reading of an answer; None defers to the HTTP status."""
        return None

    def check_test_body(self, body: Any) -> None:
        """Raise ProviderError(INVALID_RESPONSE) unless ``body`` is the test call's success shape."""

    def request(
        self, path: str, *, api_key: str, method: str = "GET",
        params: dict[str, Any] | None = None, json_body: Any = None,
    ) -> ProviderResponse:
        """Call the service; return its JSON answer or raise a classified ProviderError."""
        key_headers, key_params = self.credentials(api_key)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **key_headers}
        timeout = self.timeout()
        hand_back_database_connection()
        started = time.monotonic()
        try:
            response = requests.request(
                method, self.base_url() + path, params={**(params or {}), **key_params}, json=json_body,
                headers=headers, timeout=(timeout, timeout), allow_redirects=False, stream=True,
            )
            try:
                raw = _read_capped(response, deadline=started + timeout)
            finally:
                response.close()
        except (requests.RequestException, UnicodeError, ProviderError) as exc:
            failure = classify_exception(exc)
            logger.info("%s call failed: %s (%s)", self.key_type, failure.code, type(exc).__name__)
            raise failure from None
        elapsed_ms = _ms_since(started)
        status = response.status_code
        body = _parse_json(raw)
        error = self.error_from_body(status, body) or classify_response(response)
        if error is None and body is _NOT_JSON:
            error = ProviderError(ErrorCode.INVALID_RESPONSE, http_status=status)
        if error is not None:
            logger.info("%s answered HTTP %s: %s", self.key_type, status, error.code)
            logger.debug("%s answer body: %.500s", self.key_type, raw.decode("utf-8", "replace"))
            error.http_status = status
            raise error
        return ProviderResponse(status, body, elapsed_ms)

    def test(self, api_key: str) -> KeyTestResult:
        """The key-test call (docs/api/vault.md); every outcome becomes a result, never an exception."""
        started = time.monotonic()
        try:
            answer = self.request(self.test_path, api_key=api_key, params=dict(self.test_params))
            self.check_test_body(answer.body)
        except ProviderError as error:
            return KeyTestResult(str(self.key_type), error.code, error.message, _ms_since(started), timezone.now())
        return KeyTestResult(str(self.key_type), None, SUCCESS_MESSAGE, _ms_since(started), timezone.now())


def hand_back_database_connection() -> None:
    """Give this thread's database connection back (to the pool, or closed) before a call
    that may take seconds: held across 40 slow calls, pooled connections ran out and every
    other request waited for one. The next query takes a connection again. Inside a
    transaction the connection stays: closing it would lose the transaction."""
    if not connection.in_atomic_block:
        connection.close()


_NOT_JSON = object()


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def _read_capped(response: requests.Response, *, deadline: float) -> bytes:
    """The body, refusing one that is huge or that trickles in past the deadline
    (requests' timeout is per socket read, not for the whole answer)."""
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ProviderError(ErrorCode.INVALID_RESPONSE, "The service's answer was too large")
        if time.monotonic() > deadline:
            raise ProviderError(ErrorCode.TIMEOUT)
        chunks.append(chunk)
    return b"".join(chunks)


def _ms_since(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def _invalid(message: str | None = None) -> ProviderError:
    return ProviderError(ErrorCode.INVALID_RESPONSE, message)


_REGISTRY: dict[str, Provider] = {}


def register(cls: type[Provider]) -> type[Provider]:
    _REGISTRY[cls.key_type] = cls()
    return cls


def get(key_type: str) -> Provider | None:
    """The provider for ``key_type``; None for types with nothing to call (general)."""
    return _REGISTRY.get(key_type)


@register
class GoogleProvider(Provider):
    key_type = str(KeyType.GOOGLE_API)
    base_url_setting = "GOOGLE_API_BASE_URL"
    test_path = "/v1beta/models"
    test_params = {"pageSize": "1"}
    key_header = "x-goog-api-key"

    def error_from_body(self, status, body):
        # Google answers a bad key with 400 INVALID_ARGUMENT + reason API_KEY_INVALID.
        error = body.get("error") if isinstance(body, dict) else None
        if status == 400 and isinstance(error, dict):
            details = error.get("details") if isinstance(error.get("details"), list) else []
            reasons = {d.get("reason") for d in details if isinstance(d, dict)}
            if any(isinstance(r, str) and r.startswith("API_KEY_") for r in reasons) or (
                "api key" in str(error.get("message", "")).lower()
            ):
                return ProviderError(ErrorCode.UNAUTHORIZED)
        return None

    def check_test_body(self, body):
        if not (isinstance(body, dict) and isinstance(body.get("models"), list)):
            raise _invalid()


_NEWSAPI_CODES = {
    "apiKeyInvalid": ErrorCode.UNAUTHORIZED,
    "apiKeyMissing": ErrorCode.UNAUTHORIZED,
    "apiKeyDisabled": ErrorCode.UNAUTHORIZED,
    "apiKeyExhausted": ErrorCode.RATE_LIMITED,
    "rateLimited": ErrorCode.RATE_LIMITED,
    "unexpectedError": ErrorCode.SERVICE_ERROR,
}


@register
class NewsApiProvider(Provider):
    key_type = str(KeyType.NEWS_API)
    base_url_setting = "NEWS_API_BASE_URL"
    test_path = "/v2/top-headlines"
    test_params = {"country": "us", "pageSize": "1"}
    key_header = "X-Api-Key"

    def error_from_body(self, status, body):
        # NewsAPI: {"status": "error", "code": "apiKeyInvalid", "message": ...}, any HTTP status.
        if isinstance(body, dict) and body.get("status") == "error":
            code = _NEWSAPI_CODES.get(body.get("code"))
            return ProviderError(code) if code else None
        return None

    def check_test_body(self, body):
        if not (isinstance(body, dict) and body.get("status") == "ok" and isinstance(body.get("articles"), list)):
            raise _invalid()


@register
class FinnhubProvider(Provider):
    key_type = str(KeyType.FINNHUB_API)
    base_url_setting = "FINNHUB_API_BASE_URL"
    test_path = "/api/v1/quote"
    test_params = {"symbol": "AAPL"}
    key_header = "X-Finnhub-Token"

    def error_from_body(self, status, body):
        # Finnhub: {"error": "Invalid API key"} with 401 -- and for some keys with 200.
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            code = classify_error_text(body["error"]) or classify_status(status) or ErrorCode.INVALID_RESPONSE
            return ProviderError(code)
        return None

    def check_test_body(self, body):
        if not (isinstance(body, dict) and isinstance(body.get("c"), (int, float))):
            raise _invalid()


@register
class FmpProvider(Provider):
    key_type = str(KeyType.FMP_API)
    base_url_setting = "FMP_API_BASE_URL"
    test_path = "/stable/quote"
    test_params = {"symbol": "AAPL"}
    key_query_param = "apikey"

    def error_from_body(self, status, body):
        # FMP: {"Error Message": "Invalid API KEY. ..."} with 401 (legacy endpoints: 200).
        if isinstance(body, dict) and isinstance(body.get("Error Message"), str):
            code = classify_error_text(body["Error Message"]) or classify_status(status) or ErrorCode.INVALID_RESPONSE
            return ProviderError(code)
        return None

    def check_test_body(self, body):
        if not isinstance(body, list):
            raise _invalid()


def run_key_test(key_type: str, api_key: str) -> KeyTestResult:
    """Test ``api_key`` against its service (a real HTTP call), or UNSUPPORTED."""
    provider = get(key_type)
    if provider is None:
        return KeyTestResult(key_type, ErrorCode.UNSUPPORTED, MESSAGES[ErrorCode.UNSUPPORTED], 0, timezone.now())
    result = provider.test(api_key)
    logger.info("key test for %s: %s in %d ms", key_type, result.status_label, result.response_time_ms)
    return result
