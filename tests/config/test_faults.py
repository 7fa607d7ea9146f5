"""Faults the servers must survive, on real processes and a real PostgreSQL: the database
down or frozen (a TCP proxy in this process stands between), a provider answering in
12 s under 40 concurrent key tests, a burst of 600 requests on SQLite under a
descriptor limit of 1024."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import socket
import sqlite3
import time
import uuid

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.apikeys.fake_providers import NEWS_OK
from tests.livesupport import start_keyward
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.live, pytest.mark.own_services]

PG = ("127.0.0.1", 5432)
PASSWORD = "faults-pass-12345"


def _answers(address) -> bool:
    try:
        socket.create_connection(address, timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def pg_database():
    if not _answers(PG):
        pytest.skip("PostgreSQL must answer on 127.0.0.1:5432")
    import psycopg

    name = f"keyward_faults_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _signed_in(server, username: str) -> dict[str, str]:
    server.manage("seed_platform_key", "--username", username, "--password", PASSWORD)
    answer = httpx.post(f"{server.url}/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access']}"}


def _timed(call):
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


@pytest.mark.parametrize("fault", ["down", "frozen"])
def test_with_the_database_down_or_frozen_healthz_answers_and_the_api_says_503_in_seconds(tmp_path, pg_database, fault):
    proxy = TcpProxy(PG)
    server = start_keyward(tmp_path, server="gunicorn", workers=1, env={
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{proxy.port}/{pg_database}",
        "DATABASE_CONNECT_TIMEOUT": "2", "DATABASE_STATEMENT_TIMEOUT": "2", "DATABASE_POOL_TIMEOUT": "2",
    })
    try:
        auth = _signed_in(server, "db-fault")
        assert httpx.get(f"{server.url}/api/v1/api-keys/", headers=auth).status_code == 200  # pooled connections open

        proxy.down() if fault == "down" else proxy.pause()
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            calls = [pool.submit(_timed, lambda: httpx.get(f"{server.url}/api/v1/api-keys/", headers=auth, timeout=60))
                     for _ in range(12)]
            time.sleep(0.5)
            health, health_took = _timed(lambda: httpx.get(f"{server.url}/healthz", timeout=30))
            answers = [call.result() for call in calls]
        assert health.status_code == 200 and health_took < 1.0  # threads to spare: the requests above wait on the database
        for answer, took in answers:
            assert answer.status_code == 503, answer.text
            assert answer.json() == {"status": "error", "message": "Database unavailable, try again shortly"}
            assert answer.headers["Retry-After"] == "5"
            assert took < 20
        if fault == "frozen":
            proxy.resume()
            assert httpx.get(f"{server.url}/api/v1/api-keys/", headers=auth, timeout=30).status_code == 200
    finally:
        server.stop()
        proxy.down()


def test_a_locked_sqlite_database_gives_503_after_its_timeout_not_a_hang(tmp_path):
    server = start_keyward(tmp_path, env={"SQLITE_TIMEOUT_SECONDS": "1"})
    try:
        auth = _signed_in(server, "locked-out")
        holder = sqlite3.connect(server.env["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another writer holding the lock
        try:
            answer, took = _timed(lambda: httpx.post(f"{server.url}/api/v1/api-keys/", headers=auth, timeout=30, json={
                "key_type": "news_api", "api_key": "n" * 32}))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert answer.status_code == 503 and answer.json()["status"] == "error"
        assert took < 10
        assert httpx.post(f"{server.url}/api/v1/api-keys/", headers=auth, json={
            "key_type": "news_api", "api_key": "n" * 32}).status_code == 201  # nothing was half-written
    finally:
        server.stop()


@pytest.fixture
def slow_news_api():
    """NewsAPI's test call answered after 12 s, to many callers at once; counts arrivals."""
    server = HTTPServer(threaded=True)
    arrived = []

    def answer(request: Request) -> Response:
        arrived.append(time.monotonic())
        time.sleep(12)
        return Response(json.dumps(NEWS_OK), content_type="application/json")

    server.expect_request("/v2/top-headlines").respond_with_handler(answer)
    server.start()
    yield server, arrived
    server.clear()
    if server.is_running():
        server.stop()


@pytest.mark.parametrize("serving", ["gunicorn", "daphne"])
def test_a_provider_answering_in_12s_to_40_key_tests_does_not_hold_up_the_trading_api(
    tmp_path, pg_database, slow_news_api, serving
):
    slow, arrived = slow_news_api
    server = start_keyward(tmp_path, server=serving, workers=2, env={
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{pg_database}",
        "NEWS_API_BASE_URL": slow.url_for("/").rstrip("/"), "PROVIDER_TIMEOUT_SECONDS": "20",
        "THROTTLE_SERVICE_KEY_TEST": "1000/min",
    })
    try:
        auth = _signed_in(server, "tester")
        platform_key = server.seed_key("trader")
        stored = httpx.post(f"{server.url}/api/v1/api-keys/", headers=auth, json={"key_type": "news_api",
                                                                                 "api_key": "n" * 32})
        assert stored.status_code == 201, stored.text
        test_url = f"{server.url}/api/v1/api-keys/test-by-id/{stored.json()['id']}"
        with concurrent.futures.ThreadPoolExecutor(40) as pool:
            tests = [pool.submit(httpx.post, test_url, headers=auth, timeout=60) for _ in range(40)]
            deadline = time.monotonic() + 8
            while len(arrived) < 40 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(arrived) == 40  # every key test is waiting on the provider now
            for _ in range(5):
                ping, took = _timed(lambda: httpx.get(f"{server.url}/api/v1/ping", headers={"X-API-KEY": platform_key},
                                                      timeout=30))
                assert ping.status_code == 200 and took < 2.0, (ping.status_code, took)
                listed, took = _timed(lambda: httpx.get(f"{server.url}/api/v1/api-keys/", headers=auth, timeout=30))
                assert listed.status_code == 200 and took < 2.0, (listed.status_code, took)  # a free pooled connection
            assert time.monotonic() - arrived[0] < 12  # all of this while the provider was still answering
            results = [test.result() for test in tests]
        assert [r.status_code for r in results] == [200] * 40
    finally:
        server.stop()


def test_a_burst_of_600_requests_on_sqlite_under_1024_descriptors_gets_no_500(tmp_path):
    server = start_keyward(tmp_path, env={"ASGI_MAX_CONCURRENT_REQUESTS": "64"}, descriptors=1024)
    try:
        auth = _signed_in(server, "burst")

        async def burst():
            limits = httpx.Limits(max_connections=600, max_keepalive_connections=600)
            async with httpx.AsyncClient(limits=limits, timeout=120) as client:
                return await asyncio.gather(*[client.get(f"{server.url}/api/v1/api-keys/", headers=auth)
                                              for _ in range(600)])

        answers = asyncio.run(burst())
    finally:
        server.stop()
    statuses = {a.status_code for a in answers}
    assert statuses == {200}, [a.text for a in answers if a.status_code != 200][:3]
    assert "unable to open database file" not in server.log()
