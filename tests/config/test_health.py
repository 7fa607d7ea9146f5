"""Probes: /healthz (liveness, touches nothing) and /readyz (the database answers)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from tests.config.test_serve import free_port
from tests.support.processes import PROJECT_ROOT, strong_env


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/readyz", "/readyz/"])
def test_readyz_says_the_database_answers(client, path):
    response = client.get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_probes_answer_get_only(client, method):
    for path in ("/healthz", "/readyz"):
        assert getattr(client, method)(path, HTTP_HOST="127.0.0.1").status_code == 405


@pytest.mark.live
def test_with_the_database_gone_readyz_is_503_and_healthz_still_200(tmp_path):
    # A database file in a directory that does not exist: SQLite cannot open it.
    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}", LOG_LEVEL="DEBUG")
    port = free_port()
    log = (tmp_path / "out.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                live = requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        ready = requests.get(f"{base}/readyz", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "unavailable"}
    log.seek(0)
    output = log.read()
    assert "readiness check: database unavailable (OperationalError)" in output
    assert "missing-dir" not in ready.text
