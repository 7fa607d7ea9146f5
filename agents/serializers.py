"""Input and output shapes of the agents' endpoints.

Inputs are strict about JSON types (a number is not a symbol) and normalize case, so
``reliance`` and ``RELIANCE`` are one query and one cache entry. The output serializers
render the agent's report and document it in the OpenAPI schema.
"""
from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.keys import KEY_SOURCES
from agents.news_analyst import SENTIMENTS

SYMBOL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_&.\-]{0,49}")
COMPANY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 &.,'()\-]{0,99}")
# Indian exchanges as the trading API names them, plus the US ones NewsAPI covers best.
EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "NSE_INDEX", "BSE_INDEX", "MCX_INDEX", "NYSE", "NASDAQ")


def _string(value, what: str) -> str:
    if not isinstance(value, str):
        raise serializers.ValidationError(f"{what} must be a string.")
    return value.strip()


@extend_schema_field({"type": "string", "maxLength": 50, "pattern": f"^{SYMBOL_PATTERN.pattern}$"})
class SymbolField(serializers.CharField):
    """Validated in ``NewsAnalystInput.validate_symbol``; this documents the rule."""


@extend_schema_field({"type": "string", "enum": [*EXCHANGES, ""], "nullable": True})
class ExchangeField(serializers.CharField):
    """Validated in ``NewsAnalystInput.validate_exchange`` (any case; blank or null: none)."""


class NewsAnalystInput(serializers.Serializer):
    symbol = SymbolField(
        help_text="Ticker, 1-50 characters: letters, digits and _ & . - (e.g. RELIANCE, AAPL, M&M).",
    )
    exchange = ExchangeField(
        required=False, allow_null=True, allow_blank=True,
        help_text=f"Optional, one of {', '.join(EXCHANGES)} (case-insensitive). Gives the model context "
                  "and keys the cache; the news search itself is by name.",
    )
    company_name = serializers.CharField(
        required=False, allow_null=True, allow_blank=True,
        help_text='Optional company name searched as well ("RELIANCE" OR "Reliance Industries"), up to 100 characters.',
    )

    def to_internal_value(self, data):
        # The CharFields above would turn 123 into "123"; a JSON body must say what it means.
        if isinstance(data, dict):
            for name in ("symbol", "exchange", "company_name"):
                if name in data and data[name] is not None and not isinstance(data[name], str):
                    raise serializers.ValidationError({name: [f"{name} must be a string."]})
        return super().to_internal_value(data)

    def validate_symbol(self, value):
        value = _string(value, "symbol").upper()
        if not SYMBOL_PATTERN.fullmatch(value):
            raise serializers.ValidationError(
                "Invalid symbol: 1-50 characters, letters, digits and _ & . - (e.g. RELIANCE, AAPL)."
            )
        return value

    def validate_exchange(self, value):
        if value is None or not value.strip():
            return None
        value = _string(value, "exchange").upper()
        if value not in EXCHANGES:
            raise serializers.ValidationError(f"Invalid exchange. Must be one of: {', '.join(EXCHANGES)}")
        return value

    def validate_company_name(self, value):
        if value is None or not value.strip():
            return None
        value = " ".join(_string(value, "company_name").split())
        if not COMPANY_PATTERN.fullmatch(value):
            raise serializers.ValidationError(
                "Invalid company name: up to 100 letters, digits, spaces and & . , ' ( ) -."
            )
        return value


class HeadlineOutput(serializers.Serializer):
    title = serializers.CharField()
    source = serializers.CharField(allow_null=True)
    url = serializers.URLField()
    published_at = serializers.CharField(allow_null=True, help_text="ISO 8601 UTC, e.g. 2025-01-15T10:00:00Z")


class AnalysisOutput(serializers.Serializer):
    sentiment = serializers.ChoiceField(choices=SENTIMENTS)
    score = serializers.FloatField(min_value=-1, max_value=1, help_text="-1 very negative ... 1 very positive")
    rationale = serializers.CharField()
    model = serializers.CharField(help_text="The Gemini model that answered (GEMINI_MODEL).")


class WarningOutput(serializers.Serializer):
    code = serializers.CharField(help_text="MISSING_KEY, NO_HEADLINES, or a provider error code (e.g. RATE_LIMITED).")
    service = serializers.CharField(help_text="The key type concerned: news_api or google_api.")
    message = serializers.CharField()


class KeySourcesOutput(serializers.Serializer):
    news_api = serializers.ChoiceField(choices=KEY_SOURCES)
    google_api = serializers.ChoiceField(
        choices=KEY_SOURCES, allow_null=True, help_text="null when Gemini was not called."
    )


class NewsAnalystOutput(serializers.Serializer):
    symbol = serializers.CharField()
    exchange = serializers.CharField(allow_null=True)
    query = serializers.CharField(help_text="The NewsAPI search that was run.")
    headlines = HeadlineOutput(many=True)
    analysis = AnalysisOutput(allow_null=True)
    warnings = WarningOutput(many=True)
    key_sources = KeySourcesOutput()
    generated_at = serializers.CharField(help_text="When the report was made (ISO 8601 UTC); older when cached.")
    cached = serializers.BooleanField()


class MissingKeyOutput(serializers.Serializer):
    detail = serializers.CharField()
    key_type = serializers.CharField()
    error_code = serializers.CharField()


class ProviderFailureOutput(serializers.Serializer):
    detail = serializers.CharField()
    error_code = serializers.CharField()
    service = serializers.CharField()
