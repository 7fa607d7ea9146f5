"""Fixtures for the agents: NewsAPI and Gemini fakes on a local server, system keys in
settings, user keys in the vault."""
from __future__ import annotations

import pytest

from apikeys import vault
from tests.agents.fakes import AgentFakes
from tests.apikeys.conftest import VALID_KEYS, closed_port, quick_passwords  # noqa: F401 (fixtures)

USER_KEYS = {"news_api": VALID_KEYS["news_api"], "google_api": VALID_KEYS["google_api"]}
SYSTEM_KEYS = {"news_api": "sys-news-7c1e0d9b2a4f4e8d", "google_api": "AIzaSy-System-Gemini-Key-44ffee0011"}
ALL_PLAINTEXTS = [*USER_KEYS.values(), *SYSTEM_KEYS.values()]


@pytest.fixture
def agent_fakes(httpserver, settings) -> AgentFakes:
    """NewsAPI and Gemini fakes accepting both the user's and the system's keys, the base
    URLs pointing at them, no system keys set (tests opt in with ``system_keys``)."""
    fakes = AgentFakes(httpserver, valid_keys={t: {USER_KEYS[t], SYSTEM_KEYS[t]} for t in USER_KEYS})
    fakes.install()
    settings.NEWS_API_BASE_URL = settings.GOOGLE_API_BASE_URL = fakes.base_url
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    settings.NEWS_API_KEY = settings.GOOGLE_API_KEY = ""
    settings.GEMINI_MODEL = "gemini-2.0-flash"
    settings.NEWS_ANALYST_PAGE_SIZE = 10
    settings.NEWS_ANALYST_CACHE_SECONDS = 300
    return fakes


@pytest.fixture
def system_keys(settings):
    """Set the system keys of the given types (default: both)."""

    def set_keys(*key_types: str) -> None:
        for key_type in key_types or SYSTEM_KEYS:
            setattr(settings, {"news_api": "NEWS_API_KEY", "google_api": "GOOGLE_API_KEY"}[key_type],
                    SYSTEM_KEYS[key_type])

    return set_keys


@pytest.fixture
def user_keys(user):
    """Store ``user``'s vault keys of the given types (default: both); returns the rows."""

    def store(*key_types: str, owner=None) -> dict:
        return {
            key_type: vault.service_key_create(
                user=owner or user, key_type=key_type, api_key=USER_KEYS[key_type], key_name=f"my {key_type}"
            )
            for key_type in key_types or USER_KEYS
        }

    return store
