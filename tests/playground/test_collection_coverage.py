"""The Bruno collection covers the API exactly: every API URL of the URLconf has a `.bru`
file and every `.bru` file names a URL (and a method) that exists.

The API URL list comes from the URLconf itself (every pattern under ``api/``), so a new
endpoint without a `.bru` file fails here. Left out on purpose: ``api/docs/``, the Swagger
UI, an HTML page for reading the schema rather than an endpoint to call with a key (the
schema itself, ``api/schema/``, is in the collection like any other endpoint).
"""
from __future__ import annotations

import importlib.util

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from playground import catalog
from playground.bruno import substitute

NOT_ENDPOINTS = {"swagger-ui"}


def _api_patterns(patterns=None, prefix: str = ""):
    """(full route, url name, callback) of every URL pattern whose route starts with api/."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern).lstrip("^").removesuffix("$").removesuffix("/?")
        if isinstance(pattern, URLResolver):
            yield from _api_patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/") and pattern.name not in NOT_ENDPOINTS:
            yield route, pattern.name, pattern.callback


def _sample_path(request, variables) -> str:
    # {{vault_key_id}} and friends take the environment's sample values
    return substitute(request.path, variables, default="1")


@pytest.fixture(scope="module")
def collection():
    return catalog.collection_load()


@pytest.fixture(scope="module")
def variables(collection):
    return collection.environments["local"]["vars"]


def test_collection_loads_without_skipping_any_file(collection):
    assert collection.skipped == []
    assert collection.name == "Keyward"
    assert set(collection.environments["local"]["secrets"]) >= {"apikey", "token", "password"}
    assert collection.environments["local"]["vars"]["base_url"] == "http://127.0.0.1:8000"


def test_every_file_sits_in_a_category_folder(collection):
    assert {r.folder for r in collection.requests} <= set(catalog.CATEGORIES)
    assert all(r.folder == "websocket" for r in collection.requests if r.kind == "ws")


def test_every_http_file_names_a_path_that_resolves_with_a_method_the_view_answers(collection, variables):
    problems = []
    for request in (r for r in collection.requests if r.kind == "http"):
        path = _sample_path(request, variables)
        try:
            match = resolve(path)
        except Resolver404:
            problems.append(f"{request.file}: {request.method} {path} resolves to nothing")
            continue
        view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
        if view_class is not None and not hasattr(view_class, request.method.lower()):
            problems.append(f"{request.file}: {view_class.__name__} does not answer {request.method}")
    assert problems == []


def test_every_api_url_of_the_urlconf_has_a_bru_file(collection, variables):
    covered = set()
    for request in (r for r in collection.requests if r.kind == "http"):
        try:
            covered.add(id(resolve(_sample_path(request, variables)).func))
        except Resolver404:
            pass  # reported by the test above
    api = list(_api_patterns())
    assert len(api) >= 10  # the walk found the URLconf (not an empty list that passes trivially)
    missing = sorted(f"/{route} ({name})" for route, name, callback in api if id(callback) not in covered)
    assert missing == [], "API URLs without a .bru file in collections/"


def test_auth_and_platform_key_urls_are_part_of_the_api_list():
    names = {name for _, name, _ in _api_patterns()}
    assert {"token-obtain", "token-refresh", "token-blacklist", "register", "platform-key", "platform-key-mode",
            "schema"} <= names
    assert "swagger-ui" not in names


def test_every_websocket_file_names_a_websocket_route(collection):
    from trading.routing import websocket_urlpatterns

    def routed(path: str) -> bool:
        return any(p.pattern.match(path.lstrip("/")) for p in websocket_urlpatterns)

    ws = [r for r in collection.requests if r.kind == "ws"]
    assert ws, "the collection has WebSocket files"
    assert [f"{r.file}: {r.path}" for r in ws if not routed(r.path)] == []


@pytest.mark.skipif(importlib.util.find_spec("trading.consumers") is None, reason="no WebSocket consumer yet")
def test_every_websocket_action_of_the_consumer_has_a_bru_file(collection):
    from trading.consumers import MarketDataConsumer

    handlers = MarketDataConsumer.ACTIONS
    used = {handlers.get(m.get("action")) for r in collection.requests if r.kind == "ws" for m in r.messages}
    missing = sorted({name for name, handler in handlers.items() if handler not in used})
    # aliases ("auth" for "authenticate") share a handler with a covered action
    assert missing == []
