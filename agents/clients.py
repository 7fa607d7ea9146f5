"""The agents' calls to NewsAPI and Gemini.

Both go through the vault's registered providers (``apikeys.providers``): the same base
URL settings, timeout, header that carries the key, capped read, no redirects, and the
same failure -> ``ProviderError(error_code)`` mapping as a key test. This module adds
only the request shapes of the agents' calls and the reading of their success bodies;
an answer that is not that shape is ``INVALID_RESPONSE``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from agents.keys import ResolvedKey
from apikeys import providers
from apikeys.models import KeyType
from apikeys.providers import ErrorCode, ProviderError

logger = logging.getLogger(__name__)

NEWSAPI_MAX_PAGE_SIZE = 100  # NewsAPI refuses more
MAX_TITLE_CHARS = 300
_REMOVED = "[Removed]"  # NewsAPI's placeholder for withdrawn articles
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _provider(key_type: str) -> providers.Provider:
    """The provider of a service this module calls (registered in apikeys.providers)."""
    provider = providers.get(key_type)
    assert provider is not None, key_type
    return provider


@dataclass(frozen=True)
class Headline:
    title: str
    source: str | None
    url: str
    published_at: str | None  # ISO 8601 UTC with Z

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "source": self.source, "url": self.url, "published_at": self.published_at}


# --- NewsAPI ------------------------------------------------------------------------------

def news_everything(*, key: ResolvedKey, query: str, page_size: int) -> list[Headline]:
    """Newest English articles matching ``query`` (NewsAPI ``/v2/everything``)."""
    params = {
        "q": query, "sortBy": "publishedAt", "language": "en",
        "pageSize": str(max(1, min(int(page_size), NEWSAPI_MAX_PAGE_SIZE))),
    }
    answer = _provider(str(KeyType.NEWS_API)).request("/v2/everything", api_key=key.for_call(), params=params)
    body = answer.body
    if not (isinstance(body, dict) and body.get("status") == "ok" and isinstance(body.get("articles"), list)):
        raise ProviderError(ErrorCode.INVALID_RESPONSE, http_status=answer.status_code)
    headlines = [h for h in map(_headline, body["articles"]) if h is not None]
    logger.info("NewsAPI: %d articles for the query, %d usable", len(body["articles"]), len(headlines))
    return headlines


def _headline(article: Any) -> Headline | None:
    """One article as a headline; None for a withdrawn or incomplete one."""
    if not isinstance(article, dict):
        return None
    title, url = article.get("title"), article.get("url")
    if not (isinstance(title, str) and title.strip() and title.strip() != _REMOVED):
        return None
    if not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        return None
    source = article.get("source")
    name = source.get("name") if isinstance(source, dict) else None
    return Headline(
        title=" ".join(title.split())[:MAX_TITLE_CHARS],
        source=name.strip() if isinstance(name, str) and name.strip() else None,
        url=url,
        published_at=_utc_iso(article.get("publishedAt")),
    )


def _utc_iso(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Gemini -------------------------------------------------------------------------------

def gemini_generate_json(
    *, key: ResolvedKey, model: str, system_instruction: str, prompt: str, response_schema: dict,
    max_output_tokens: int = 512,
) -> str:
    """Ask ``model`` for a JSON answer (``generateContent`` with a response schema) and
    return the text of its first candidate, unparsed: judging it is the caller's job."""
    name = str(model).strip().removeprefix("models/")
    if not _MODEL_NAME.fullmatch(name):
        raise ProviderError(ErrorCode.INVALID_RESPONSE, "GEMINI_MODEL in the settings is not a model name")
    body = {
        "systemInstruction": {"parts": [{"text": system_instruction}]},
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {
            "responseMimeType": "application/json", "responseSchema": response_schema,
            "temperature": 0.2, "maxOutputTokens": max_output_tokens,
        },
    }
    answer = _provider(str(KeyType.GOOGLE_API)).request(
        f"/v1beta/models/{quote(name, safe='')}:generateContent", api_key=key.for_call(), method="POST",
        json_body=body,
    )
    text = _first_candidate_text(answer.body)
    if text is None:
        raise ProviderError(
            ErrorCode.INVALID_RESPONSE, "Gemini returned no answer text", http_status=answer.status_code
        )
    return text


def _first_candidate_text(body: Any) -> str | None:
    """``candidates[0].content.parts[*].text`` joined; None when the prompt was blocked
    (``promptFeedback.blockReason``, no candidates) or the shape is anything else."""
    candidates = body.get("candidates") if isinstance(body, dict) else None
    if not (isinstance(candidates, list) and candidates and isinstance(candidates[0], dict)):
        if isinstance(body, dict) and isinstance(body.get("promptFeedback"), dict):
            logger.info("Gemini gave no candidates: %s", body["promptFeedback"].get("blockReason"))
        return None
    content = candidates[0].get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list):
        logger.info("Gemini candidate without parts (finishReason %s)", candidates[0].get("finishReason"))
        return None
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return "".join(texts) if texts else None
