"""`python -m config.serve` (what `make run` starts): daphne with a redacted access log."""
from __future__ import annotations

import concurrent.futures
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
@pytest.mark.own_services
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


def _threads_cpus(pid: int) -> dict[str, str]:
    """Each thread of ``pid``: the CPUs it may run on (Cpus_allowed_list)."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):  # the thread ended meanwhile
            continue
        for line in status.splitlines():
            if line.startswith("Cpus_allowed_list:"):
                found[task.name] = line.split()[1]
    return found


@pytest.mark.live
@pytest.mark.own_services
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_serve_cpus_from_the_env_file_pins_every_thread_of_the_server(tmp_path):
    cpu = max(os.sched_getaffinity(0))
    env_file = tmp_path / "keyward.env"
    env_file.write_text(f"SERVE_CPUS={cpu}\n")
    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", KEYWARD_ENV_FILE=str(env_file))
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    with served(env, tmp_path / "out.log") as server:
        # Django runs each request's sync code on a thread of its own, alive while the
        # request is: look at the threads while requests are in flight.
        seen: dict[str, str] = {}
        with concurrent.futures.ThreadPoolExecutor(4) as clients:
            for _ in range(10):
                answers = [clients.submit(requests.get, f"{server.url}/readyz", timeout=5) for _ in range(8)]
                seen.update(_threads_cpus(server.pid))
                assert all(answer.result().status_code == 200 for answer in answers)
    assert len(seen) > 1  # the event loop and at least one request's thread
    assert set(seen.values()) == {str(cpu)}, seen


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
