"""`make cluster` (config/cluster.py): gunicorn (HTTP) and uvicorn (the stream) over
PostgreSQL + Redis, started and stopped together. What processes share is proven in
tests/trading/test_two_processes.py."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from websockets.sync.client import connect

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
@pytest.mark.own_services
def test_the_cluster_serves_http_and_the_stream_on_their_ports_and_stops_together(database):
    http_port, stream_port = _free_port(), _free_port()
    env = strong_env(DATABASE_URL=database, REDIS_URL=REDIS, LOG_LEVEL="WARNING")
    process = subprocess.Popen(
        [sys.executable, "-m", "config.cluster", "--http-port", str(http_port), "--stream-port", str(stream_port),
         "--http-workers", "1", "--http-threads", "4"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not (_healthy(http_port) and _healthy(stream_port)):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the cluster did not come up"
            time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/login/", timeout=5) as page:
            assert page.headers["Server"].startswith("gunicorn")
        with connect(f"ws://127.0.0.1:{stream_port}/ws/", open_timeout=5) as sock:
            sock.send(json.dumps({"action": "authenticate", "apikey": "0" * 64}))
            assert json.loads(sock.recv(timeout=5))["status"] == "error"  # the stream's consumer answered
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
        output = process.stdout.read()
        assert "created PostgreSQL database" in output
        assert "Created superuser 'admin'" in output
        assert f"stream on ws://127.0.0.1:{stream_port}/ws/" in output
        assert not _answers(http_port) and not _answers(stream_port)
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
