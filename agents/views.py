"""The agents' endpoints (docs/api/agents.md). Thin: validate, run the agent, map its outcomes to
HTTP. Authentication is the API default (JWT Bearer or session + CSRF), like the vault.

- 200: the report (``agents.news_analyst``), possibly with ``analysis: null`` + warnings;
- 400: field errors; 401/403: not signed in; 429: NEWS_ANALYST throttle;
- 424: no NewsAPI key in the vault nor NEWS_API_KEY (the request depends on one);
- 502: NewsAPI failed, with the same ``error_code`` a key test would report;
- 503: a vault key FERNET_KEYS cannot decrypt (names FERNET_KEYS, never the ciphertext).
"""
from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import keys, news_analyst
from agents import serializers as s
from apikeys.providers import ProviderError
from apikeys.serializers import DetailError
from config.throttling import PerUserThrottle

TAGS = ["agents"]


class NewsAnalystThrottle(PerUserThrottle):
    """Each uncached run spends NewsAPI and Gemini quota, possibly the operator's system
    keys shared by every user: at most the "news_analyst" rate of REST_FRAMEWORK's
    DEFAULT_THROTTLE_RATES per user (30/min when that names none)."""

    scope = "news_analyst"
    default_rate = "30/min"


REPORT_EXAMPLE = {
    "symbol": "RELIANCE", "exchange": "NSE", "query": '"RELIANCE"',
    "headlines": [{
        "title": "Reliance Industries shares rise after quarterly profit beats estimates", "source": "Reuters",
        "url": "https://www.reuters.com/business/reliance-q3/", "published_at": "2025-01-15T10:00:00Z",
    }],
    "analysis": {
        "sentiment": "positive", "score": 0.6, "model": "gemini-2.0-flash",
        "rationale": "Headlines report a profit beat and a rising share price.",
    },
    "warnings": [], "key_sources": {"news_api": "user", "google_api": "system"},
    "generated_at": "2025-01-15T10:05:00Z", "cached": False,
}


class NewsAnalystView(APIView):
    """Recent headlines for a symbol and a short sentiment analysis of them."""

    throttle_classes = [NewsAnalystThrottle]

    @extend_schema(
        summary="News Analyst: headlines and sentiment for a symbol",
        description=(
            "Searches NewsAPI (`/v2/everything`, newest first) with your active `news_api` key, else the "
            "server's NEWS_API_KEY, and asks Gemini (your `google_api` key, else GOOGLE_API_KEY) for a JSON "
            "sentiment reading. `key_sources` says which key was used (`user`/`system`), never the key. "
            "No Gemini key, a Gemini failure or an unusable Gemini answer still return the headlines, with "
            "`analysis: null` and a warning. Complete reports are cached per user and query for "
            "NEWS_ANALYST_CACHE_SECONDS (`cached: true`)."
        ),
        request=s.NewsAnalystInput,
        responses={
            200: s.NewsAnalystOutput,
            400: OpenApiResponse(description="Invalid symbol, exchange or company name"),
            424: OpenApiResponse(s.MissingKeyOutput, description="No NewsAPI key in the vault nor NEWS_API_KEY"),
            429: OpenApiResponse(DetailError, description="More runs than THROTTLE_NEWS_ANALYST allows"),
            502: OpenApiResponse(s.ProviderFailureOutput, description="NewsAPI failed; error_code as in key tests"),
            503: OpenApiResponse(description="A vault key cannot be decrypted with FERNET_KEYS"),
        },
        examples=[
            OpenApiExample("NSE symbol", request_only=True, value={"symbol": "RELIANCE", "exchange": "NSE"}),
            OpenApiExample("with company name", request_only=True,
                           value={"symbol": "AAPL", "exchange": "NASDAQ", "company_name": "Apple"}),
            OpenApiExample("report", response_only=True, status_codes=["200"], value=REPORT_EXAMPLE),
            OpenApiExample("no Gemini key", response_only=True, status_codes=["200"], value={
                **REPORT_EXAMPLE, "analysis": None, "key_sources": {"news_api": "user", "google_api": None},
                "warnings": [{"code": "MISSING_KEY", "service": "google_api", "message":
                              "No google_api key: add one in the vault or set GOOGLE_API_KEY; headlines only, no analysis"}],
            }),
            OpenApiExample("no NewsAPI key", response_only=True, status_codes=["424"], value={
                "detail": "No news_api key: add one in the vault or set NEWS_API_KEY", "key_type": "news_api",
                "error_code": "MISSING_KEY",
            }),
            OpenApiExample("NewsAPI refused the key", response_only=True, status_codes=["502"], value={
                "detail": "Invalid API key or service unavailable", "error_code": "UNAUTHORIZED", "service": "news_api",
            }),
        ],
        tags=TAGS,
    )
    def post(self, request):
        incoming = s.NewsAnalystInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            report = news_analyst.news_analyst_run(user=request.user, **incoming.validated_data)
        except keys.MissingServiceKey as missing:
            return Response(
                {"detail": str(missing), "key_type": missing.key_type, "error_code": news_analyst.MISSING_KEY},
                status=status.HTTP_424_FAILED_DEPENDENCY,
            )
        except ProviderError as error:  # only NewsAPI's failures are fatal; Gemini's become warnings
            return Response(
                {"detail": error.message, "error_code": str(error.code), "service": "news_api"},
                status=status.HTTP_502_BAD_GATEWAY,
            )
        return Response(s.NewsAnalystOutput(report).data)
