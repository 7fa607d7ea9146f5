"""Run manage.py / python in a child process with a chosen environment.

Used where a test needs what a real start-up does: settings loading from scratch, or a
database file on disk that the test can read byte for byte.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def strong_env(**overrides: str) -> dict[str, str]:
    """An environment with valid secrets and no .env file, plus ``overrides``.

    A value of None in ``overrides`` removes that variable.
    """
    # Built from scratch: the test process's own environment already holds .env values.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update(
        KEYWARD_ENV_FILE=os.devnull,
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="s" * 10 + "K3yw4rd-t3st-53cr3t-" + "x" * 40,
        API_KEY_PEPPER="p" * 48,
        FERNET_KEYS=Fernet.generate_key().decode(),
        DEBUG="False",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@contextlib.contextmanager
def served(env: dict[str, str], log_path: Path, startup_timeout: float = 30) -> Iterator[Served]:
    """``python -m config.serve`` (what `make run` starts) on a free port of 127.0.0.1,
    stdout and stderr into ``log_path``; yields its URL and pid once /healthz answers and
    stops the server afterwards. No migrate: the caller prepares the database, or not."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, f"server exited:\n{log_path.read_text()[-3000:]}"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield Served(url=base, pid=server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
