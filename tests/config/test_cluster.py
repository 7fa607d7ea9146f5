"""`make cluster` (config/cluster.py): N daphne processes over PostgreSQL + Redis, started
and stopped together. What they share is proven in tests/trading/test_two_processes.py."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from config.cluster import cpu_per_process
from tests.support.processes import PROJECT_ROOT, strong_env



PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/0"


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture
def database():
    if not (_answers(5432) and _answers(6379)):
        pytest.skip("PostgreSQL and Redis must answer on 127.0.0.1")
    import psycopg

    name = f"keyward_cluster_{uuid.uuid4().hex[:8]}"
    yield f"{PG}/{name}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.live
def test_the_cluster_creates_its_database_serves_on_every_port_and_stops_together(database):
    ports = [_free_port(), _free_port()]
    env = strong_env(DATABASE_URL=database, REDIS_URL=REDIS, LOG_LEVEL="WARNING")
    process = subprocess.Popen(
        [sys.executable, "-m", "config.cluster", "--ports", *map(str, ports)], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not all(_healthy(p) for p in ports):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the cluster did not come up"
            time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        output = process.stdout.read()
        assert "created PostgreSQL database" in output
        assert "Created superuser 'admin'" in output
        assert not any(_healthy(p) for p in ports)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("url,shown", [
    ("redis://:s3cret-pass@cache:6379/0", "redis://:***@cache:6379/0"),
    ("postgres://keyward:s3cret-pass@db:5432/keyward", "postgres://keyward:***@db:5432/keyward"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
])
def test_the_start_up_line_never_prints_a_password(url, shown):
    from config.cluster import _without_password

    assert _without_password(url) == shown


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux-only")
def test_pinned_processes_get_a_cpu_each_round_robin():
    available = [str(cpu) for cpu in sorted(os.sched_getaffinity(0))]
    assert cpu_per_process(len(available) + 1) == [*available, available[0]]


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux-only")
def test_a_cluster_wide_serve_cpus_is_dealt_out_not_shared_by_every_process():
    cpu = str(max(os.sched_getaffinity(0)))
    assert cpu_per_process(2, cpu) == [cpu, cpu]
    if len(os.sched_getaffinity(0)) > 1:
        low = str(min(os.sched_getaffinity(0)))
        assert cpu_per_process(3, f"{cpu},{low}") == [low, cpu, low]
    with pytest.raises(SystemExit, match="SERVE_CPUS='x'"):
        cpu_per_process(2, "x")
