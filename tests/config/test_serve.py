"""`python -m config.serve` (what `make run` starts): daphne with a redacted access log."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from config.serve import cpus_from
from tests.livesupport import keyward_live  # noqa: F401 (fixture)
from tests.support.processes import PROJECT_ROOT, run_manage, served, strong_env


@pytest.mark.live
def test_access_log_never_shows_a_key_from_the_query_string(tmp_path):
    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    key = "ab" * 32
    log_path = tmp_path / "out.log"
    with served(env, log_path) as server:
        response = requests.get(f"{server.url}/healthz?apikey={key}&token=sekrit-token-1", timeout=5)
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


def _threads_cpus(pid: int) -> dict[str, str]:
    """Each thread of ``pid``: the CPUs it may run on (Cpus_allowed_list)."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                found[task.name] = line.split()[1]
    return found


@pytest.mark.live
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_serve_cpus_from_the_env_file_pins_every_thread_of_the_server(tmp_path):
    cpu = max(os.sched_getaffinity(0))
    env_file = tmp_path / "keyward.env"
    env_file.write_text(f"SERVE_CPUS={cpu}\n")
    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", KEYWARD_ENV_FILE=str(env_file))
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    with served(env, tmp_path / "out.log") as server:
        for _ in range(20):  # several requests: request threads exist only once requests come
            assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 200
        threads = _threads_cpus(server.pid)
    assert len(threads) > 1  # the event loop and at least one request thread
    assert set(threads.values()) == {str(cpu)}, threads


@pytest.mark.parametrize("value, message", [
    ("one", "SERVE_CPUS='one': expected CPU numbers separated by commas"),
    ("0,x", "SERVE_CPUS='0,x': expected CPU numbers separated by commas"),
    ("4096", "SERVE_CPUS='4096': CPU 4096 is not available to this process"),
])
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_a_bad_serve_cpus_stops_start_up_naming_the_variable(tmp_path, value, message):
    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SERVE_CPUS=value)
    started = subprocess.run(
        [sys.executable, "-m", "config.serve", "-b", "127.0.0.1", "-p", "0", "config.asgi:application"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert started.returncode != 0
    assert message in started.stderr


def test_an_empty_serve_cpus_leaves_scheduling_to_the_system():
    assert cpus_from("") is None and cpus_from("  ") is None
