"""Fixtures for the service key vault tests: the fake providers on a local HTTP server,
servers that misbehave at the socket level, and a helper to store keys."""
from __future__ import annotations

import pytest

from tests.apikeys.fake_providers import (
    BASE_URL_SETTINGS,
    FakeProviders,
    SilentServer,
    StallingServer,
    closed_port_url,
)

VALID_KEYS = {
    "google_api": "AIzaSyD-Fake-Gemini-Key-0123456789abcde",
    "news_api": "3f1c6b7e9a2d4c8b9e0f1a2b3c4d5e6f",
    "finnhub_api": "cr5v1n9r01qnb0a8f0egcr5v1n9r01qnb0a8f0f0",
    "fmp_api": "Qx7pL2mN9vR4tY6wZ8aB1cD3eF5gH7jK",
    "general": "general-purpose-secret-0042",
}


@pytest.fixture
def quick_passwords(settings):
    """Users' login passwords hashed cheaply (the vault tests create many users and
    never test password hashing). Use via ``pytest.mark.usefixtures``."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fake_providers(httpserver, settings) -> FakeProviders:
    """Google, NewsAPI, Finnhub and FMP fakes on 127.0.0.1, with the settings'
    base URLs pointing at them. They accept the keys in ``VALID_KEYS``."""
    fakes = FakeProviders(httpserver, valid_keys=dict(VALID_KEYS))
    fakes.install()
    for setting in BASE_URL_SETTINGS.values():
        setattr(settings, setting, fakes.base_url)
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    return fakes


@pytest.fixture
def point_providers_at(settings):
    """Point every provider's base URL at ``url`` (a misbehaving server)."""

    def point(url: str, *, timeout: float = 0.5) -> None:
        for setting in BASE_URL_SETTINGS.values():
            setattr(settings, setting, url)
        settings.PROVIDER_TIMEOUT_SECONDS = timeout

    return point


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def stalling_server():
    server = StallingServer()
    yield server
    server.close()


@pytest.fixture
def closed_port() -> str:
    return closed_port_url()


@pytest.fixture
def store_key(api):
    """Store a key for ``user`` through the API; returns the response body."""

    def store(key_type: str = "news_api", api_key: str | None = None, key_name: str = "My key") -> dict:
        response = api.post(
            "/api/v1/api-keys/",
            {"key_type": key_type, "api_key": api_key or VALID_KEYS[key_type], "key_name": key_name},
            format="json",
        )
        assert response.status_code == 201, response.content
        return response.json()

    return store
