"""A real Keyward server in a child process, for tests and benchmarks that must talk to
it the way outside clients do (OpenAlgo's SDK, websockets): daphne as ``make run`` serves
(HTTP + WebSocket), or one of the production layout's servers (config/cluster.py):
``server="gunicorn"`` (HTTP, WSGI) or ``server="uvicorn"`` (the stream, ASGI).

The server gets its own environment (fresh secrets, no .env), its own SQLite file in
a temporary directory (migrated before start) and a listening socket bound to port 0
by this process and handed over by descriptor (``--fd``, ``fd://``): no port is guessed, so parallel
runs never collide. Readiness is a 200 from ``/healthz``.

Use the ``keyward_live`` fixture (module-scoped: one server per test module) and seed
users with ``server.seed_key(...)``; or call ``start_keyward(...)`` yourself for a
custom environment, e.g. ``start_keyward(tmp, env={"REDIS_URL": ..., "FEED_TICKS_PER_SECOND": "5"})``
(a value of None removes a variable). Tests using it: ``@pytest.mark.live``.
Import the fixture into the test module: ``from tests.livesupport import keyward_live  # noqa: F401``.
"""
from __future__ import annotations

import atexit
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from config.cluster import pinned_to
from tests.support.processes import PROJECT_ROOT, strong_env

VENV_PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"


def _server_command(server: str, fd: int, workers: int, threads: int) -> list[str]:
    from config import cluster

    if server == "daphne":  # behind config.serve, whose stdout redaction keeps ?apikey= out of the access log
        python = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)
        return [str(python), "-m", "config.serve", "--fd", str(fd), "config.asgi:application"]
    if server == "gunicorn":
        return cluster.http_command(f"fd://{fd}", workers=workers, threads=threads)
    if server == "uvicorn":
        return cluster.stream_command(fd=fd, workers=workers)
    raise ValueError(f"unknown server {server!r}")


class LiveServerError(RuntimeError):
    pass


_migrated_sqlite: dict[str, Path] = {}  # this test process's freshly migrated SQLite file


def _migrate(environment: dict[str, str]) -> None:
    """Migrate the server's database. A new SQLite file is a copy of one migrated once per
    test process: the same bytes ``migrate`` would write, without its seconds of CPU for
    every server a test starts."""
    url = environment["DATABASE_URL"]
    target = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    fresh = target is not None and not target.exists()
    if fresh and "template" in _migrated_sqlite:
        shutil.copyfile(_migrated_sqlite["template"], target)
        return
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=PROJECT_ROOT, env=environment,
        capture_output=True, text=True, timeout=180,
    )
    if migrated.returncode != 0:
        raise LiveServerError(f"migrate failed:\n{migrated.stdout}\n{migrated.stderr}")
    if fresh and target is not None and "template" not in _migrated_sqlite:
        folder = tempfile.mkdtemp(prefix="keyward-migrated-")
        atexit.register(shutil.rmtree, folder, True)
        template = Path(folder) / "template.sqlite3"
        shutil.copyfile(target, template)
        _migrated_sqlite["template"] = template


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
            raise LiveServerError(f"the server exited with {server.process.returncode}:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    server.stop()
    raise LiveServerError(f"the server did not answer /healthz within {timeout}s:\n{server.log()[-3000:]}")


def _child_set_up(cpus: set[int] | None, descriptors: int | None):
    pin = pinned_to(cpus)

    def set_up() -> None:
        if pin is not None:
            pin()
        if descriptors is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

    return set_up


def start_keyward(
    workdir: Path, *, env: dict[str, str | None] | None = None, startup_timeout: float = 30.0,
    server: str = "daphne", workers: int = 1, threads: int = 64, cpus: set[int] | None = None,
    descriptors: int | None = None, migrate: bool = True,
) -> LiveKeyward:
    """Migrate a fresh database in ``workdir`` (unless ``migrate`` is False: a second server
    on the same database) and serve it on 127.0.0.1 with ``server``; ``workers`` and
    ``threads`` for gunicorn (``workers`` for uvicorn); ``cpus`` pins every process of it and
    ``descriptors`` caps its open files (RLIMIT_NOFILE, as ``ulimit -n``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    defaults = {
        "DATABASE_URL": f"sqlite:///{workdir / 'keyward-live.sqlite3'}",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",  # the log file is readable while the server runs
    }
    environment = strong_env(**{**defaults, **(env or {})})
    if migrate:
        _migrate(environment)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    port = listener.getsockname()[1]
    log_path = workdir / f"{server}-{port}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            _server_command(server, listener.fileno(), workers, threads),
            cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, pass_fds=(listener.fileno(),),
            preexec_fn=_child_set_up(cpus, descriptors),
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
