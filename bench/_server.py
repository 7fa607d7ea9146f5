"""A live Keyward (daphne) for benchmarks: the same start-up as the live tests
(tests/livesupport.py: fresh SQLite, migrated, port handed over with --fd, /healthz wait),
so a benchmark measures the server people run, not the test client."""
from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.livesupport import LiveKeyward, start_keyward  # noqa: E402


@contextlib.contextmanager
def running_keyward(env: dict[str, str | None] | None = None) -> Iterator[LiveKeyward]:
    with tempfile.TemporaryDirectory(prefix="keyward-bench-") as tmp:
        server = start_keyward(Path(tmp), env=env)
        try:
            yield server
        finally:
            server.stop()
