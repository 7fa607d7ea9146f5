"""Probes: /healthz (liveness, touches nothing) and /readyz (the database answers)."""
from __future__ import annotations

import pytest
import requests

from tests.support.processes import served, strong_env


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/readyz", "/readyz/"])
def test_readyz_says_the_database_answers(client, path):
    response = client.get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_probes_answer_get_and_head_only(client, method):
    for path in ("/healthz", "/readyz"):
        assert getattr(client, method)(path, HTTP_HOST="127.0.0.1").status_code == 405
        head = client.head(path, HTTP_HOST="127.0.0.1")  # what some balancers send
        assert (head.status_code, head.content) == (200, b"")


@pytest.mark.live
def test_with_the_database_gone_readyz_is_503_and_healthz_still_200(tmp_path):
    # A database file in a directory that does not exist: SQLite cannot open it.
    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}", LOG_LEVEL="DEBUG")
    log_path = tmp_path / "out.log"
    with served(env, log_path) as server:
        live = requests.get(f"{server.url}/healthz", timeout=5)
        ready = requests.get(f"{server.url}/readyz", timeout=5)
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "unavailable"}
    assert "readiness check: database unavailable (OperationalError)" in log_path.read_text()
    assert "missing-dir" not in ready.text
