"""The News Analyst's pieces (query, prompt, answer parsing, cache key) and the agent run
itself against the local NewsAPI and Gemini fakes."""
from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache

from agents import clients, keys, news_analyst
from apikeys.models import ServiceApiKey
from apikeys.providers import ProviderError
from tests.agents.conftest import ALL_PLAINTEXTS, USER_KEYS
from tests.agents.fakes import ANALYSIS, NEWS_EMPTY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quick_passwords")]

HEADLINES = [
    clients.Headline("Reliance Q3 profit beats estimates", "Reuters", "https://r.example/1", "2025-01-16T12:30:00Z"),
    clients.Headline("Jio tariff hike lifts ARPU outlook", None, "https://m.example/2", None),
]


# --- pieces -------------------------------------------------------------------------------

@pytest.mark.parametrize(("symbol", "company", "query"), [
    ("RELIANCE", None, '"RELIANCE"'),
    ("M&M", "Mahindra & Mahindra", '"M&M" OR "Mahindra & Mahindra"'),
    ("AAPL", "aapl", '"AAPL"'),  # the same name twice is searched once
])
def test_the_news_query_is_exact_phrases(symbol, company, query):
    assert news_analyst.news_query(symbol, company) == query


def test_the_prompt_names_the_instrument_and_lists_every_headline():
    prompt = news_analyst.build_prompt(symbol="RELIANCE", exchange="NSE", company_name="Reliance Industries",
                                       headlines=HEADLINES)
    assert "RELIANCE (Reliance Industries) listed on NSE" in prompt
    assert "- Reliance Q3 profit beats estimates (Reuters, 2025-01-16T12:30:00Z)" in prompt
    assert "- Jio tariff hike lifts ARPU outlook (unknown source, date unknown)" in prompt


def test_a_valid_answer_is_normalized():
    text = json.dumps({"sentiment": " Positive ", "score": 0.61234, "rationale": "Profit\n beat.", "extra": 1})
    assert news_analyst.parse_analysis(text, model="gemini-2.0-flash") == {
        "sentiment": "positive", "score": 0.612, "rationale": "Profit beat.", "model": "gemini-2.0-flash",
    }


def test_a_fenced_answer_and_integer_scores_are_accepted():
    text = '```json\n{"sentiment": "negative", "score": -1, "rationale": "Losses."}\n```'
    assert news_analyst.parse_analysis(text, model="m")["score"] == -1.0


def test_a_long_rationale_is_shortened_not_refused():
    text = json.dumps({"sentiment": "mixed", "score": 0, "rationale": "word " * 400})
    rationale = news_analyst.parse_analysis(text, model="m")["rationale"]
    assert len(rationale) == news_analyst.MAX_RATIONALE_CHARS and rationale.endswith("…")


MALFORMED = {
    "not json": "The sentiment is positive.",
    "truncated": '{"sentiment": "positive", "score": 0.5, "ratio',
    "a list": '[{"sentiment": "positive", "score": 0.5, "rationale": "x"}]',
    "unknown label": '{"sentiment": "bullish", "score": 0.5, "rationale": "x"}',
    "score too high": '{"sentiment": "positive", "score": 1.5, "rationale": "x"}',
    "score as text": '{"sentiment": "positive", "score": "0.5", "rationale": "x"}',
    "score boolean": '{"sentiment": "positive", "score": true, "rationale": "x"}',
    "score NaN": '{"sentiment": "positive", "score": NaN, "rationale": "x"}',
    "no rationale": '{"sentiment": "positive", "score": 0.5}',
    "blank rationale": '{"sentiment": "positive", "score": 0.5, "rationale": "  "}',
    "empty": "",
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_refused(text):
    with pytest.raises(news_analyst.InvalidAnalysis):
        news_analyst.parse_analysis(text, model="m")


def test_the_cache_key_is_per_user_and_normalized_query_and_holds_no_secret():
    key = news_analyst.cache_key(user_id=7, symbol="reliance", exchange="nse", company_name=" Reliance ")
    assert key == news_analyst.cache_key(user_id=7, symbol="RELIANCE", exchange="NSE", company_name="reliance")
    assert key != news_analyst.cache_key(user_id=8, symbol="RELIANCE", exchange="NSE", company_name="reliance")
    assert key != news_analyst.cache_key(user_id=7, symbol="RELIANCE", exchange="BSE", company_name="reliance")
    assert key.startswith("agents:news-analyst:v1:7:") and len(key) < 100


# --- the run ------------------------------------------------------------------------------

def _run(user, **kwargs):
    return news_analyst.news_analyst_run(user=user, **{"symbol": "RELIANCE", "exchange": "NSE", **kwargs})


def test_a_full_run_with_the_users_keys(user, agent_fakes, user_keys, system_keys):
    user_keys()
    system_keys()
    report = _run(user)
    assert report["key_sources"] == {"news_api": "user", "google_api": "user"}
    assert report["analysis"] == {**ANALYSIS, "model": "gemini-2.0-flash"}
    assert report["warnings"] == [] and report["cached"] is False
    assert [h["source"] for h in report["headlines"]] == ["Reuters", "Moneycontrol"]
    assert agent_fakes.news_requests()[0].headers["X-Api-Key"] == USER_KEYS["news_api"]
    assert agent_fakes.gemini_requests()[0].headers["x-goog-api-key"] == USER_KEYS["google_api"]


def test_the_gemini_model_comes_from_settings(user, agent_fakes, system_keys, settings):
    system_keys()
    settings.GEMINI_MODEL = "gemini-2.5-flash"
    assert _run(user)["analysis"]["model"] == "gemini-2.5-flash"
    assert agent_fakes.gemini_requests()[0].path == "/v1beta/models/gemini-2.5-flash:generateContent"


def test_the_page_size_comes_from_settings(user, agent_fakes, system_keys, settings):
    system_keys()
    settings.NEWS_ANALYST_PAGE_SIZE = 3
    _run(user)
    assert agent_fakes.news_requests()[0].args["pageSize"] == "3"


def test_the_prompt_sent_to_gemini_holds_the_headlines_and_no_key(user, agent_fakes, user_keys, system_keys):
    user_keys("google_api")
    system_keys("news_api")
    report = _run(user)
    (request,) = agent_fakes.gemini_requests()
    body = request.get_json()
    prompt = body["contents"][0]["parts"][0]["text"]
    for headline in report["headlines"]:
        assert headline["title"] in prompt
    assert "RELIANCE" in prompt and "NSE" in prompt
    sent = request.get_data(as_text=True) + request.full_path
    for plaintext in ALL_PLAINTEXTS:
        assert plaintext not in sent
    assert body["generationConfig"]["responseSchema"]["properties"]["sentiment"]["enum"] == list(news_analyst.SENTIMENTS)


def test_last_used_at_is_set_on_user_keys_only(user, agent_fakes, user_keys, system_keys):
    rows = user_keys()
    ServiceApiKey.objects.filter(pk=rows["google_api"].pk).update(is_active=False)  # Gemini: system key
    system_keys("google_api")
    _run(user)
    assert ServiceApiKey.objects.get(pk=rows["news_api"].pk).last_used_at is not None
    assert ServiceApiKey.objects.get(pk=rows["google_api"].pk).last_used_at is None


def test_no_headlines_means_no_gemini_call(user, agent_fakes, system_keys):
    system_keys()
    agent_fakes.news_body = NEWS_EMPTY
    report = _run(user)
    assert report["headlines"] == [] and report["analysis"] is None
    assert report["warnings"][0]["code"] == "NO_HEADLINES"
    assert report["key_sources"] == {"news_api": "system", "google_api": None}
    assert agent_fakes.gemini_requests() == []


def test_a_missing_news_key_raises_before_any_call(user, agent_fakes, system_keys):
    system_keys("google_api")
    with pytest.raises(keys.MissingServiceKey) as caught:
        _run(user)
    assert caught.value.key_type == "news_api"
    assert agent_fakes.server.log == []


def test_a_news_failure_propagates_classified(user, agent_fakes, system_keys):
    system_keys()
    agent_fakes.news_answers({"status": "error", "code": "apiKeyInvalid", "message": "bad"}, 401)
    with pytest.raises(ProviderError) as caught:
        _run(user)
    assert caught.value.code == "UNAUTHORIZED"
    assert agent_fakes.gemini_requests() == []


# --- the cache ----------------------------------------------------------------------------

def test_a_second_run_is_served_from_the_cache(user, agent_fakes, system_keys):
    system_keys()
    first = _run(user)
    second = _run(user, symbol="reliance", exchange="nse")  # same query, other spelling
    assert second == {**first, "cached": True}
    assert len(agent_fakes.server.log) == 2  # one NewsAPI call, one Gemini call


def test_the_cache_is_per_user_and_per_query(user, other_user, agent_fakes, system_keys):
    system_keys()
    _run(user)
    assert _run(other_user)["cached"] is False
    assert _run(user, exchange="BSE")["cached"] is False
    assert _run(user, symbol="TCS")["cached"] is False
    assert len(agent_fakes.news_requests()) == 4


def test_the_cache_lifetime_comes_from_settings(user, agent_fakes, system_keys, settings):
    system_keys()
    settings.NEWS_ANALYST_CACHE_SECONDS = 1
    _run(user)
    assert _run(user)["cached"] is True
    time.sleep(1.1)
    assert _run(user)["cached"] is False


def test_zero_seconds_turns_the_cache_off(user, agent_fakes, system_keys, settings):
    system_keys()
    settings.NEWS_ANALYST_CACHE_SECONDS = 0
    _run(user)
    assert _run(user)["cached"] is False


def test_degraded_reports_are_not_cached(user, agent_fakes, system_keys):
    system_keys("news_api")
    assert _run(user)["analysis"] is None  # no Gemini key
    system_keys("google_api")  # the operator adds one
    report = _run(user)
    assert report["cached"] is False and report["analysis"] is not None


def test_the_cache_holds_the_report_and_no_key(user, agent_fakes, user_keys, system_keys):
    user_keys("news_api")
    system_keys("google_api")
    report = _run(user)
    stored = cache.get(news_analyst.cache_key(user_id=user.pk, symbol="RELIANCE", exchange="NSE", company_name=None))
    assert stored == report
    dumped = json.dumps(stored)  # plain JSON data, nothing pickled that could hide a key
    for plaintext in ALL_PLAINTEXTS:
        assert plaintext not in dumped
    raw = repr(getattr(cache, "_cache", ""))  # the pickled entries of the locmem store
    for plaintext in ALL_PLAINTEXTS:
        assert plaintext not in raw
