"""A real Keyward server (daphne, HTTP + WebSocket) in a child process, for tests and
benchmarks that must talk to it the way outside clients do (OpenAlgo's SDK, websockets).

The server gets its own environment (fresh secrets, no .env), its own SQLite file in
a temporary directory (migrated before start) and a listening socket bound to port 0
by this process and handed over with ``daphne --fd``: no port is guessed, so parallel
runs never collide. Readiness is a 200 from ``/healthz``.

Use the ``keyward_live`` fixture (module-scoped: one server per test module) and seed
users with ``server.seed_key(...)``; or call ``start_keyward(...)`` yourself for a
custom environment, e.g. ``start_keyward(tmp, env={"REDIS_URL": ..., "FEED_TICKS_PER_SECOND": "5"})``
(a value of None removes a variable). Tests using it: ``@pytest.mark.live``.
Import the fixture into the test module: ``from tests.livesupport import keyward_live  # noqa: F401``.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.processes import PROJECT_ROOT, strong_env

VENV_PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"


def _daphne_command() -> list[str]:
    """daphne behind config.serve, whose stdout redaction keeps ?apikey= out of the access log."""
    python = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)
    return [str(python), "-m", "config.serve"]


class LiveServerError(RuntimeError):
    pass


@dataclass
class LiveKeyward:
    url: str
    ws_url: str
    env: dict[str, str]
    workdir: Path
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run ``manage.py`` against this server's database; its stdout, or raise."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise LiveServerError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def seed_key(self, username: str, mode: str = "auto") -> str:
        """Create ``username`` if needed and return a fresh platform key for them."""
        return self.manage("seed_platform_key", "--username", username, "--mode", mode).strip()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _wait_until_healthy(server: LiveKeyward, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise LiveServerError(f"daphne exited with {server.process.returncode}:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    server.stop()
    raise LiveServerError(f"daphne did not answer /healthz within {timeout}s:\n{server.log()[-3000:]}")


def start_keyward(
    workdir: Path, *, env: dict[str, str | None] | None = None, startup_timeout: float = 30.0
) -> LiveKeyward:
    """Migrate a fresh database in ``workdir`` and serve it with daphne on 127.0.0.1."""
    workdir.mkdir(parents=True, exist_ok=True)
    defaults = {
        "DATABASE_URL": f"sqlite:///{workdir / 'keyward-live.sqlite3'}",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",  # the log file is readable while the server runs
    }
    environment = strong_env(**{**defaults, **(env or {})})
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=PROJECT_ROOT, env=environment,
        capture_output=True, text=True, timeout=180,
    )
    if migrated.returncode != 0:
        raise LiveServerError(f"migrate failed:\n{migrated.stdout}\n{migrated.stderr}")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    port = listener.getsockname()[1]
    log_path = workdir / "daphne.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*_daphne_command(), "--fd", str(listener.fileno()), "config.asgi:application"],
            cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, pass_fds=(listener.fileno(),),
        )
    listener.close()  # the child holds its own copy
    server = LiveKeyward(
        url=f"http://127.0.0.1:{port}", ws_url=f"ws://127.0.0.1:{port}", env=environment, workdir=workdir,
        log_path=log_path, process=process,
    )
    _wait_until_healthy(server, startup_timeout)
    return server


@pytest.fixture(scope="module")
def keyward_live(tmp_path_factory):
    """A running Keyward for the whole test module; stopped afterwards."""
    server = start_keyward(tmp_path_factory.mktemp("keyward-live"), env=_env_overrides_from_environment())
    try:
        yield server
    finally:
        server.stop()


def _env_overrides_from_environment() -> dict[str, str]:
    """``KEYWARD_LIVE_<NAME>=value`` in the test run's environment sets ``<NAME>`` for the server."""
    prefix = "KEYWARD_LIVE_"
    return {name[len(prefix):]: value for name, value in os.environ.items() if name.startswith(prefix)}
