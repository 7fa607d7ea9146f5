"""Live servers for benchmarks, and what a benchmark reads about their processes.

``running_keyward``: a live Keyward (daphne) with the same start-up as the live tests
(tests/livesupport.py: fresh SQLite, migrated, port handed over with --fd, /healthz
wait), so a benchmark measures the server people run, not the test client.
``running_raw_broadcaster``: bench/_raw_ws_server.py, the bare `websockets` baseline of
bench/ws_fanout.py, started the same way (socket bound here, handed over by fd).
``rss_kib`` / ``cpu_seconds`` / ``machine_busy_seconds``: a process's resident memory and
CPU time, and the whole machine's CPU time, from /proc (no psutil).
"""
from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.livesupport import LiveKeyward, LiveServerError, start_keyward
from tests.support.processes import PROJECT_ROOT, strong_env

RAW_SERVER = Path(__file__).resolve().parent / "_raw_ws_server.py"


@contextlib.contextmanager
def running_keyward(env: dict[str, str | None] | None = None) -> Iterator[LiveKeyward]:
    with tempfile.TemporaryDirectory(prefix="keyward-bench-") as tmp:
        server = start_keyward(Path(tmp), env=env)
        try:
            yield server
        finally:
            server.stop()


@dataclass
class RawBroadcaster:
    ws_url: str
    process: subprocess.Popen


@contextlib.contextmanager
def running_raw_broadcaster(ticks_per_second: float, startup_timeout: float = 30.0) -> Iterator[RawBroadcaster]:
    """bench/_raw_ws_server.py on 127.0.0.1, publishing at ``ticks_per_second``."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    port = listener.getsockname()[1]
    env = strong_env(LOG_LEVEL="WARNING", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, str(RAW_SERVER), "--fd", str(listener.fileno()), "--rate", str(ticks_per_second)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True, pass_fds=(listener.fileno(),),
    )
    listener.close()
    try:
        readable, _, _ = select.select([process.stdout], [], [], startup_timeout)
        line = process.stdout.readline() if readable else ""  # "ready" once it serves, "" if it died
        if line.strip() != "ready":
            raise LiveServerError(f"raw broadcaster did not start (exit {process.poll()}): {line!r}")
        yield RawBroadcaster(ws_url=f"ws://127.0.0.1:{port}", process=process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def rss_kib(pid: int) -> int:
    """Resident set size (VmRSS) of ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all processes on this machine have used so far (all cores), in seconds."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
