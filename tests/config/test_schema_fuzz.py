"""Schemathesis against the live OpenAPI schema: every operation of ``/api/schema/``,
fuzzed over real HTTP on a live daphne (``python -m config.serve``), must never answer
5xx, and every answer must be what the schema documents: a listed status code, a listed
Content-Type, a body that validates, documented headers. Operations that declare
authentication must also refuse a request without it, or with bad credentials
(``ignored_auth``), and a method the schema does not list gets 405 with ``Allow``
(``unsupported_method``).

The server has its own database; the external providers (NewsAPI, Gemini, Finnhub, FMP)
are fakes on a local HTTP server (the system keys NEWS_API_KEY/GOOGLE_API_KEY are set,
so the News Analyst runs end to end), and no request ever leaves 127.0.0.1. Sign-up is
on, so ``/api/v1/auth/register/`` is fuzzed for real rather than only its "disabled"
answer, and every throttle is raised out of the way: each generated request must reach
its view, not a 429.

Each operation gets the credentials its ``security`` names:

- ``platformKey`` (sandbox trading API, and the Action Center list, which also takes a
  JWT): the fuzzing user's key in ``X-API-KEY``;
- ``jwtAuth`` (vault, platform key, order mode, decisions, agents): the fuzzing user's JWT;
- ``cookieAuth`` only (the playground's JSON helpers): a session from the real ``/login/``
  form.

Nothing is excluded. The two operations that replace or revoke the platform key (``POST``
and ``DELETE /api/v1/apikey/``) are fuzzed like the others, but as a second user
("rotator"): run as the fuzzing user, their first success would regenerate or revoke the
key every trading operation authenticates with, and all later trading cases would only
see 403s with nothing behind them fuzzed. So are the ``/api/v1/platform-keys/`` operations,
which can roll, revoke or narrow (scopes, allowlist, expiry) any key of their user. The token blacklist is fuzzed as it is: it only
ever receives generated refresh tokens, never one of the fuzzing user's.

Bounded and reproducible: Hypothesis's ``derandomize`` (a fixed seed per test), no
example database, at most ``MAX_EXAMPLES`` generated cases per operation on top of
schemathesis's deterministic examples and coverage cases (boundary values, wrong types,
missing fields). Each operation is a test of its own, so parallel workers (``make test``
runs pytest-xdist) share the operations; each worker fuzzes its own live server.

Known gaps, by design: ``positive_data_acceptance`` and ``negative_data_rejection`` are
not in ``CHECKS``. They flag rules JSON Schema cannot state (password validators, a
refresh token that must be a valid JWT, "send at least one field", one active key per
type) and the trading API's documented leniency (numbers as JSON numbers or numeric
strings, enums in any case), so they would fail on correct behaviour.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from pytest_httpserver import HTTPServer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.agents.conftest import SYSTEM_KEYS
from tests.agents.fakes import AgentFakes
from tests.apikeys.conftest import VALID_KEYS
from tests.apikeys.fake_providers import FakeProviders
from tests.livesupport import start_keyward

pytestmark = [pytest.mark.live, pytest.mark.own_services]
SPREAD_OVER_WORKERS = True  # tests/conftest.py: one test per operation, over every worker

MAX_EXAMPLES = 10
PASSWORD = "schema-fuzz-Pass-2718"
FUZZER, ROTATOR = "fuzzer", "rotator"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    unsupported_method,
]
# Operations that change the platform key itself run as ROTATOR (see the module docstring).
KEY_CHANGING = {("POST", "/api/v1/apikey/"), ("DELETE", "/api/v1/apikey/")}


def _changes_keys(operation: tuple[str, str]) -> bool:
    """Run as the rotator: it may regenerate, revoke, roll or narrow a key (the fuzzer's
    key ids are small numbers a generated id would hit)."""
    return operation in KEY_CHANGING or operation[1].startswith("/api/v1/platform-keys/")


@pytest.fixture(scope="module")
def providers():
    """NewsAPI, Gemini, Google, Finnhub and FMP fakes on one local server."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    FakeProviders(server, valid_keys=dict(VALID_KEYS)).install()
    AgentFakes(server, valid_keys={t: {SYSTEM_KEYS[t]} for t in SYSTEM_KEYS}).install()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory, providers):
    base = providers.url_for("/").rstrip("/")
    server = start_keyward(tmp_path_factory.mktemp("schema-fuzz"), env={
        "ALLOW_SIGNUP": "True",
        "THROTTLE_INVALID_APIKEY": "100000/min",
        "THROTTLE_LOGIN": "100000/min",
        "THROTTLE_REGISTER": "100000/min",
        "THROTTLE_NEWS_ANALYST": "100000/min",
        "THROTTLE_SERVICE_KEY_TEST": "100000/min",
        "GOOGLE_API_BASE_URL": base,
        "NEWS_API_BASE_URL": base,
        "FINNHUB_API_BASE_URL": base,
        "FMP_API_BASE_URL": base,
        "PROVIDER_TIMEOUT_SECONDS": "2",
        "NEWS_API_KEY": SYSTEM_KEYS["news_api"],
        "GOOGLE_API_KEY": SYSTEM_KEYS["google_api"],
        # Argon2 at its cheapest (same algorithm): the fuzzer signs up and signs in a lot.
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "1024",
        "ARGON2_PARALLELISM": "1",
    })
    try:
        credentials = {"key": server.manage("seed_platform_key", "--username", FUZZER, "--password", PASSWORD).strip()}
        server.manage("seed_platform_key", "--username", ROTATOR, "--password", PASSWORD)
        credentials["jwt"] = _jwt(server.url, FUZZER)
        credentials["rotator_jwt"] = _jwt(server.url, ROTATOR)
        credentials["session"] = _session_cookie(server.url, FUZZER)
        yield server, credentials
    finally:
        server.stop()


def _jwt(url: str, username: str) -> str:
    answer = httpx.post(f"{url}/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["access"]


def _session_cookie(url: str, username: str) -> str:
    """Sign in through the real /login/ form (CSRF and all); the session cookie."""
    with requests.Session() as browser:
        page = browser.get(f"{url}/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed_in = browser.post(
            f"{url}/login/", data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{url}/login/"}, allow_redirects=False, timeout=10,
        )
        assert signed_in.status_code == 302, signed_in.text[:500]
        return browser.cookies["sessionid"]


def _served_schema() -> dict:
    """The document ``/api/schema/`` serves, built in this process: the schema must be known
    when tests are collected (one test per operation, spread over the workers), before any
    server runs. ``test_the_fuzzed_schema_is_the_served_one`` checks it is the same."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


SERVED = _served_schema()
schema = schemathesis.openapi.from_dict(SERVED, config=schemathesis.Config.from_dict({
    # Credentials come from _fuzz_one_case, per operation; generated ones would only get 401/403.
    "generation": {"with-security-parameters": False, "max-examples": MAX_EXAMPLES, "deterministic": True},
}))


@dataclass
class Answers:
    """What one operation answered over all of its cases."""
    operation: tuple[str, str] = ("", "")
    secured: bool = False
    statuses: set[int] = field(default_factory=set)


@pytest.fixture
def answers():
    """One per operation (Hypothesis runs all of an operation's cases in one test). After the
    last case: an operation that declares authentication must have been fuzzed past it, i.e.
    the credentials _fuzz_one_case gave it worked at least once."""
    seen = Answers()
    yield seen
    if seen.secured and seen.statuses and seen.statuses <= {401, 403}:
        pytest.fail(f"{seen.operation} only ever answered {sorted(seen.statuses)}: never fuzzed past its authentication")


def _fuzz_one_case(case, fuzz_target, answers: Answers) -> None:
    server, credentials = fuzz_target
    # case.method differs from the operation's in the coverage phase's unlisted-method cases (TRACE, ...).
    operation = (case.operation.method.upper(), case.operation.path)
    security = _security_of(case)
    headers, cookies = {}, {}
    if "platformKey" in security:
        headers["X-API-KEY"] = credentials["key"]
    elif "jwtAuth" in security:
        headers["Authorization"] = f"Bearer {credentials['rotator_jwt' if _changes_keys(operation) else 'jwt']}"
    elif "cookieAuth" in security:
        cookies["sessionid"] = credentials["session"]
    response = case.call_and_validate(
        base_url=server.url, headers=headers, cookies=cookies, checks=CHECKS, timeout=15,
    )
    answers.operation, answers.secured = operation, bool(security)
    answers.statuses.add(response.status_code)


def _operation_test(method: str, path: str):
    """``test_<method>_<path>``: every case of one operation (a test of its own, so that its
    name says which operation failed and workers can share the operations out)."""
    def test(case, fuzz_target, answers):
        _fuzz_one_case(case, fuzz_target, answers)

    test.__name__ = test.__qualname__ = "test_" + re.sub(r"\W+", "_", f"{method.lower()} {path}").strip("_")
    fuzz = settings(
        max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )(test)
    return test.__name__, schema.include(method=method, path=path).parametrize()(fuzz)


OPERATIONS = sorted((method.upper(), path) for path, ops in SERVED["paths"].items() for method in ops)
globals().update(_operation_test(method, path) for method, path in OPERATIONS)


def test_the_fuzzed_schema_is_the_served_one(fuzz_target):
    """There is one fuzz test per operation of the schema built at collection; the live
    server serves the same operations, with the key-changing ones among them."""
    server, _ = fuzz_target
    paths = httpx.get(f"{server.url}/api/schema/?format=json").json()["paths"]
    served = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert len(served) >= 40 and KEY_CHANGING <= served
    assert set(OPERATIONS) == served


def _security_of(case) -> list[str]:
    requirements = case.operation.definition.raw.get("security")
    if requirements is None:
        requirements = case.operation.schema.raw_schema.get("security", [])
    return [name for requirement in requirements for name in requirement]
