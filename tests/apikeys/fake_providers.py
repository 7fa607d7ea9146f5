"""Local stand-ins for Google, NewsAPI, Finnhub and FMP on a real HTTP server
(pytest-httpserver on 127.0.0.1), answering with each service's real response shapes.

Each fake authenticates the key where the real service reads it (header or query
string) and answers like the real one: the success shape for the right key, the
service's own invalid-key answer for a wrong or missing one. Scenario helpers queue the
other real answers (rate limit, plan refusal, outage, garbage) for one request.
"""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

GOOGLE_MODELS = {
    "models": [{
        "name": "models/gemini-2.0-flash", "version": "2.0", "displayName": "Gemini 2.0 Flash",
        "description": "Gemini 2.0 Flash", "inputTokenLimit": 1048576, "outputTokenLimit": 8192,
        "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
        "temperature": 1, "topP": 0.95, "topK": 40, "maxTemperature": 2,
    }],
    "nextPageToken": "Ch1tb2RlbHMvZ2VtaW5pLTIuMC1mbGFzaC0wMDE=",
}
GOOGLE_INVALID_KEY = {"error": {
    "code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
    "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
         "metadata": {"service": "generativelanguage.googleapis.com"}},
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
         "message": "API key not valid. Please pass a valid API key."},
    ],
}}
GOOGLE_FORBIDDEN = {"error": {
    "code": 403, "status": "PERMISSION_DENIED",
    "message": "Generative Language API has not been used in project 1234 before or it is disabled.",
    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
                 "domain": "googleapis.com"}],
}}
GOOGLE_RATE_LIMITED = {"error": {
    "code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}
GOOGLE_UNAVAILABLE = {"error": {
    "code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}

NEWS_OK = {"status": "ok", "totalResults": 38, "articles": [{
    "source": {"id": "reuters", "name": "Reuters"}, "author": "Reuters staff",
    "title": "Apple shares rise after earnings beat", "description": "Apple beat estimates.",
    "url": "https://www.reuters.com/technology/apple-earnings/", "urlToImage": None,
    "publishedAt": "2025-01-15T10:00:00Z", "content": "Apple Inc reported ... [+1234 chars]",
}]}
NEWS_INVALID_KEY = {"status": "error", "code": "apiKeyInvalid", "message":
                    "Your API key is invalid or incorrect. Check your key, or go to https://newsapi.org to create a free API key."}
NEWS_MISSING_KEY = {"status": "error", "code": "apiKeyMissing", "message":
                    "Your API key is missing. Append this to the URL with the apiKey param, or use the x-api-key HTTP header."}
NEWS_RATE_LIMITED = {"status": "error", "code": "rateLimited", "message":
                     "You have made too many requests recently. Developer accounts are limited to 100 requests over a "
                     "24 hour period (50 requests available every 12 hours). Please upgrade to a paid plan if you need more requests."}
NEWS_UNEXPECTED = {"status": "error", "code": "unexpectedError", "message":
                   "This shouldn't happen, and if it does then it's our fault, not yours. Try the request again shortly."}

FINNHUB_QUOTE = {"c": 261.74, "d": 0.32, "dp": 0.1224, "h": 263.31, "l": 260.68, "o": 261.07, "pc": 261.42, "t": 1727380800}
FINNHUB_INVALID_KEY = {"error": "Invalid API key"}
FINNHUB_NO_ACCESS = {"error": "You don't have access to this resource."}
FINNHUB_LIMIT = {"error": "API limit reached. Please try again later. Remaining Limit: 0"}

FMP_QUOTE = [{
    "symbol": "AAPL", "name": "Apple Inc.", "price": 232.8, "changePercentage": 2.1008, "change": 4.79,
    "volume": 44489128, "dayLow": 226.65, "dayHigh": 233.13, "yearHigh": 260.1, "yearLow": 164.08,
    "marketCap": 3500823120000, "priceAvg50": 240.2278, "priceAvg200": 219.98755, "exchange": "NASDAQ",
    "open": 227.2, "previousClose": 228.01, "timestamp": 1738702801,
}]
FMP_INVALID_KEY = {"Error Message": "Invalid API KEY. Feel free to create a Free API Key or visit "
                                    "https://site.financialmodelingprep.com/faqs?search=why-is-my-api-key-invalid for more information."}
FMP_LIMIT = {"Error Message": "Limit Reach . Please upgrade your plan or visit our documentation for more details at "
                              "https://site.financialmodelingprep.com/"}
FMP_PREMIUM = ("Premium Query Parameter: 'Special Endpoint : This value set for 'symbol' is not available under your "
               "current subscription please visit our subscription page to upgrade your plan at "
               "https://site.financialmodelingprep.com/developer/docs/pricing'")


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


@dataclass
class FakeService:
    key_type: str
    path: str
    query: dict[str, str]

    def presented_key(self, request: Request) -> str | None:
        raise NotImplementedError

    def answer(self, request: Request, valid_key: str) -> Response:
        raise NotImplementedError


class FakeGoogle(FakeService):
    def presented_key(self, request):
        return request.headers.get("x-goog-api-key")

    def answer(self, request, valid_key):
        key = self.presented_key(request)
        if key is None:
            return _json({"error": {"code": 403, "status": "PERMISSION_DENIED", "message":
                                    "Method doesn't allow unregistered callers (callers without established identity)."}}, 403)
        return _json(GOOGLE_MODELS) if key == valid_key else _json(GOOGLE_INVALID_KEY, 400)


class FakeNews(FakeService):
    def presented_key(self, request):
        return request.headers.get("X-Api-Key")

    def answer(self, request, valid_key):
        key = self.presented_key(request)
        if key is None:
            return _json(NEWS_MISSING_KEY, 401)
        return _json(NEWS_OK) if key == valid_key else _json(NEWS_INVALID_KEY, 401)


class FakeFinnhub(FakeService):
    def presented_key(self, request):
        return request.headers.get("X-Finnhub-Token")

    def answer(self, request, valid_key):
        key = self.presented_key(request)
        if key is None:
            return _json({"error": "Please use an API key."}, 401)
        return _json(FINNHUB_QUOTE) if key == valid_key else _json(FINNHUB_INVALID_KEY, 401)


class FakeFmp(FakeService):
    def presented_key(self, request):
        return request.args.get("apikey")

    def answer(self, request, valid_key):
        return _json(FMP_QUOTE) if self.presented_key(request) == valid_key else _json(FMP_INVALID_KEY, 401)


SERVICES = {
    "google_api": FakeGoogle("google_api", "/v1beta/models", {"pageSize": "1"}),
    "news_api": FakeNews("news_api", "/v2/top-headlines", {"country": "us", "pageSize": "1"}),
    "finnhub_api": FakeFinnhub("finnhub_api", "/api/v1/quote", {"symbol": "AAPL"}),
    "fmp_api": FakeFmp("fmp_api", "/stable/quote", {"symbol": "AAPL"}),
}
BASE_URL_SETTINGS = {
    "google_api": "GOOGLE_API_BASE_URL",
    "news_api": "NEWS_API_BASE_URL",
    "finnhub_api": "FINNHUB_API_BASE_URL",
    "fmp_api": "FMP_API_BASE_URL",
}

# One real failure answer per (service, error code), as each service sends it.
FAILURES = {
    ("google_api", "UNAUTHORIZED"): (GOOGLE_INVALID_KEY, 400),
    ("google_api", "FORBIDDEN"): (GOOGLE_FORBIDDEN, 403),
    ("google_api", "RATE_LIMITED"): (GOOGLE_RATE_LIMITED, 429),
    ("google_api", "SERVICE_ERROR"): (GOOGLE_UNAVAILABLE, 503),
    ("news_api", "UNAUTHORIZED"): (NEWS_INVALID_KEY, 401),
    ("news_api", "RATE_LIMITED"): (NEWS_RATE_LIMITED, 429),
    ("news_api", "SERVICE_ERROR"): (NEWS_UNEXPECTED, 500),
    ("finnhub_api", "UNAUTHORIZED"): (FINNHUB_INVALID_KEY, 401),
    ("finnhub_api", "FORBIDDEN"): (FINNHUB_NO_ACCESS, 403),
    ("finnhub_api", "RATE_LIMITED"): (FINNHUB_LIMIT, 429),
    ("fmp_api", "UNAUTHORIZED"): (FMP_INVALID_KEY, 401),
    ("fmp_api", "FORBIDDEN"): (FMP_PREMIUM, 402),
    ("fmp_api", "RATE_LIMITED"): (FMP_LIMIT, 429),
    ("fmp_api", "SERVICE_ERROR"): ("<html><body><h1>502 Bad Gateway</h1></body></html>", 502),
}


@dataclass
class FakeProviders:
    """All four fakes on one local server; ``valid_keys`` are the keys they accept."""

    server: HTTPServer
    valid_keys: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def install(self) -> None:
        for key_type, service in SERVICES.items():
            valid = self.valid_keys[key_type]
            self.server.expect_request(service.path, method="GET").respond_with_handler(
                lambda request, service=service, valid=valid: service.answer(request, valid)
            )

    def next_answer(self, key_type: str, body, status: int = 200, content_type: str | None = None) -> None:
        """The next request to ``key_type``'s test path gets this answer, once."""
        service = SERVICES[key_type]
        if isinstance(body, (dict, list)):
            response = _json(body, status)
        else:
            response = Response(body, status=status, content_type=content_type or "text/html; charset=utf-8")
        self.server.expect_oneshot_request(service.path, method="GET").respond_with_response(response)

    def fail_next(self, key_type: str, error_code: str) -> None:
        body, status = FAILURES[(key_type, error_code)]
        html = isinstance(body, str) and body.startswith("<")
        self.next_answer(key_type, body, status, content_type=None if html else "text/plain; charset=utf-8")

    def requests_to(self, key_type: str) -> list[Request]:
        path = SERVICES[key_type].path
        return [request for request, _ in self.server.log if request.path == path]


class SilentServer:
    """Accepts TCP connections (the kernel does, via the backlog) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


class StallingServer:
    """Answers 200 with headers and half a JSON body, then goes quiet."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self._connections.append(conn)
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"models\": [")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self._connections:
            conn.close()
        self.sock.close()


def closed_port_url() -> str:
    """A URL on a local port nothing listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
