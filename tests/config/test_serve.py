"""`python -m config.serve` (what `make run` starts): daphne with a redacted access log."""
from __future__ import annotations

import time

import pytest
import requests

from tests.livesupport import keyward_live  # noqa: F401 (fixture)
from tests.support.processes import run_manage, served, strong_env


@pytest.mark.live
def test_access_log_never_shows_a_key_from_the_query_string(tmp_path):
    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    key = "ab" * 32
    log_path = tmp_path / "out.log"
    with served(env, log_path) as base:
        response = requests.get(f"{base}/healthz?apikey={key}&token=sekrit-token-1", timeout=5)
        assert response.status_code == 200
        time.sleep(0.5)
    output = log_path.read_text()
    assert '"GET /healthz?apikey=[REDACTED]' in output  # the request was logged, redacted
    assert key not in output and "sekrit-token-1" not in output


@pytest.mark.live
def test_a_malformed_multipart_body_reaches_the_application(keyward_live):
    # Found by schemathesis: Twisted parsed every multipart POST itself and answered one it
    # could not parse with a bare 400 (no Content-Type, no body) before Keyward saw it.
    key = keyward_live.seed_key("multipart-sender")
    boundary = "c637e12e2b1a998d80d1b087531af51c"
    for body in (f"--{boundary}--\r\n", f"--{boundary}\r\nnot a part header\r\n", "no boundary at all"):
        response = requests.post(
            f"{keyward_live.url}/api/v1/placeorder", data=body.encode(), timeout=10,
            headers={"X-API-KEY": key, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 400, body
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["status"] == "error" and "JSON" in response.json()["message"]
    # A well-formed multipart body is the application's to read, too: still not JSON, still its answer.
    response = requests.post(f"{keyward_live.url}/api/v1/ping", files={"apikey": (None, key)}, timeout=10)
    assert response.status_code == 400 and response.json()["status"] == "error"
