"""NewsAPI ``/v2/everything`` and Gemini ``generateContent`` on a real local HTTP server
(pytest-httpserver), answering with the services' real response shapes.

Like the vault's fakes (``tests/apikeys/fake_providers.py``, whose error bodies these
reuse), each fake checks the key where the real service reads it and answers an unknown
key with the service's own invalid-key answer. Any key in ``valid_keys[key_type]`` is
accepted, so a test can tell which of a user's and the system's keys was presented.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.apikeys.fake_providers import GOOGLE_INVALID_KEY, NEWS_INVALID_KEY, NEWS_MISSING_KEY

NEWS_PATH = "/v2/everything"
GEMINI_PATH = re.compile(r"^/v1beta/models/[^/]+:generateContent$")

ARTICLES = [
    {"source": {"id": "reuters", "name": "Reuters"}, "author": "Reuters staff",
     "title": "Reliance Industries Q3 profit beats estimates as retail, telecom grow",
     "description": "Reliance Industries reported a higher-than-expected quarterly profit.",
     "url": "https://www.reuters.com/business/reliance-q3-profit/", "urlToImage": "https://www.reuters.com/r.jpg",
     "publishedAt": "2025-01-16T12:30:00Z", "content": "Reliance Industries reported ... [+2101 chars]"},
    {"source": {"id": None, "name": "[Removed]"}, "author": None, "title": "[Removed]", "description": "[Removed]",
     "url": "https://removed.com", "urlToImage": None, "publishedAt": "1970-01-01T00:00:00Z", "content": "[Removed]"},
    {"source": {"id": None, "name": "Moneycontrol"}, "author": "Moneycontrol News",
     "title": "Reliance Jio tariff hike lifts ARPU outlook, brokerages raise targets",
     "description": "Brokerages see higher earnings.", "url": "https://www.moneycontrol.com/news/reliance-jio-arpu/",
     "urlToImage": None, "publishedAt": "2025-01-15T08:05:11+00:00", "content": "Brokerages ... [+1500 chars]"},
]
NEWS_EVERYTHING = {"status": "ok", "totalResults": 1043, "articles": ARTICLES}
NEWS_EMPTY = {"status": "ok", "totalResults": 0, "articles": []}
NEWS_EXHAUSTED = {"status": "error", "code": "apiKeyExhausted", "message":
                  "Your API key has no more requests available."}

ANALYSIS = {"sentiment": "positive", "score": 0.62,
            "rationale": "A profit beat and a tariff hike that lifts the ARPU outlook point to earnings growth."}


def gemini_reply(text: str, *, finish_reason: str = "STOP") -> dict:
    """A generateContent answer whose first candidate says ``text``."""
    return {
        "candidates": [{
            "content": {"parts": [{"text": text}], "role": "model"},
            "finishReason": finish_reason, "avgLogprobs": -0.0831,
        }],
        "usageMetadata": {
            "promptTokenCount": 211, "candidatesTokenCount": 38, "totalTokenCount": 249,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 211}],
            "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 38}],
        },
        "modelVersion": "gemini-2.0-flash",
    }


GEMINI_BLOCKED = {
    "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]},
    "usageMetadata": {"promptTokenCount": 211, "totalTokenCount": 211}, "modelVersion": "gemini-2.0-flash",
}
GEMINI_SAFETY_STOP = {
    "candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": [
        {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM"}]}],
    "modelVersion": "gemini-2.0-flash",
}


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


@dataclass
class AgentFakes:
    server: HTTPServer
    valid_keys: dict[str, set[str]] = field(default_factory=dict)
    news_body: dict = field(default_factory=lambda: NEWS_EVERYTHING)
    gemini_text: str = json.dumps(ANALYSIS)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def install(self) -> None:
        self.server.expect_request(NEWS_PATH, method="GET").respond_with_handler(self._news)
        self.server.expect_request(GEMINI_PATH, method="POST").respond_with_handler(self._gemini)

    def _news(self, request: Request) -> Response:
        key = request.headers.get("X-Api-Key")
        if key is None:
            return _json(NEWS_MISSING_KEY, 401)
        return _json(self.news_body) if key in self.valid_keys["news_api"] else _json(NEWS_INVALID_KEY, 401)

    def _gemini(self, request: Request) -> Response:
        if request.headers.get("x-goog-api-key") not in self.valid_keys["google_api"]:
            return _json(GOOGLE_INVALID_KEY, 400)
        return _json(gemini_reply(self.gemini_text))

    # --- one-off answers ------------------------------------------------------------------

    def news_answers(self, body, status: int = 200, content_type: str | None = None) -> None:
        self._once(NEWS_PATH, "GET", body, status, content_type)

    def gemini_answers(self, body, status: int = 200, content_type: str | None = None) -> None:
        self._once(GEMINI_PATH, "POST", body, status, content_type)

    def _once(self, path, method, body, status, content_type) -> None:
        if isinstance(body, (dict, list)):
            response = _json(body, status)
        else:
            response = Response(body, status=status, content_type=content_type or "text/html; charset=utf-8")
        self.server.expect_oneshot_request(path, method=method).respond_with_response(response)

    def echo_key_once(self, path, method: str, status: int = 500) -> None:
        """The next request to ``path`` gets an error page quoting the key it presented,
        as a debugging proxy might: whatever logs that body must blank the key."""

        def handler(request: Request) -> Response:
            presented = request.headers.get("X-Api-Key") or request.headers.get("x-goog-api-key")
            return Response(f"<html><body>upstream error for key {presented}</body></html>", status=status,
                            content_type="text/html")

        self.server.expect_oneshot_request(path, method=method).respond_with_handler(handler)

    def slow(self, path, method: str, seconds: float):
        """The next request to ``path`` is answered only after ``seconds``. Call the
        returned function before the test ends: the server answers one request at a time,
        so a late answer would otherwise land in the next test's log."""
        done = threading.Event()

        def handler(request: Request) -> Response:
            time.sleep(seconds)
            done.set()
            return _json(NEWS_EVERYTHING if path == NEWS_PATH else gemini_reply(self.gemini_text))

        def wait_until_answered(timeout: float = 5.0) -> bool:
            deadline = time.monotonic() + timeout
            if not done.wait(timeout):
                return False
            while time.monotonic() < deadline:  # logged just after the handler returns
                if any(r.path == path if isinstance(path, str) else path.match(r.path) for r, _ in self.server.log):
                    return True
                time.sleep(0.01)
            return False

        self.server.expect_oneshot_request(path, method=method).respond_with_handler(handler)
        return wait_until_answered

    # --- what was asked -------------------------------------------------------------------

    def news_requests(self) -> list[Request]:
        return [r for r, _ in self.server.log if r.path == NEWS_PATH]

    def gemini_requests(self) -> list[Request]:
        return [r for r, _ in self.server.log if GEMINI_PATH.match(r.path)]
