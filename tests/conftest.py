"""Fixtures shared by the whole suite: users, authenticated clients, a clean state."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apikeys import key_rate, usage, verification
from apikeys.authentication import invalid_keys
from apikeys.key_cache import cache as key_cache


@pytest.fixture(autouse=True)
def _cheap_argon2_and_clean_state(settings):
    """Argon2 at minimum cost (the algorithm is the same; only its work factor drops),
    users' passwords hashed without PBKDF2's deliberate slowness (no test is about it),
    an empty verification memo and key cache, no remembered bad-key counts or unflushed usage and an empty cache for every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ARGON2_TIME_COST = 1
    settings.ARGON2_MEMORY_COST = 1024
    settings.ARGON2_PARALLELISM = 1
    verification.memo.clear()
    key_cache.clear()
    invalid_keys.forget()
    usage.counter.forget()
    key_rate.forget()
    cache.clear()
    yield
    verification.memo.clear()
    key_cache.clear()
    invalid_keys.forget()
    usage.counter.forget()
    key_rate.forget()
    cache.clear()


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def make(username: str | None = None, password: str = "correct-horse-battery-9", **extra):
        counter["n"] += 1
        username = username or f"user{counter['n']}"
        return get_user_model().objects.create_user(username=username, password=password, **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def other_user(make_user):
    return make_user("mallory")


def jwt_client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def api(user) -> APIClient:
    """An API client authenticated as ``user`` with a JWT access token."""
    return jwt_client_for(user)


@pytest.fixture
def other_api(other_user) -> APIClient:
    return jwt_client_for(other_user)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def platform_key(user):
    """``user``'s freshly generated platform key (plaintext)."""
    from apikeys import services

    _, plaintext = services.platform_key_regenerate(user=user)
    return plaintext


def pytest_collection_modifyitems(items):
    """Under pytest-xdist (``make test`` runs ``--dist loadgroup``) a test module runs on one
    worker, so its module-scoped live servers start once; a module that sets
    ``SPREAD_OVER_WORKERS = True`` (the schema fuzz: one test per operation) is shared out
    test by test instead."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and not getattr(module, "SPREAD_OVER_WORKERS", False):
            item.add_marker(pytest.mark.xdist_group(module.__name__))
