"""Run daphne with its access log passed through the secret redactor.

Daphne writes its NCSA-style access log straight to stdout with the full request URI,
query string included, bypassing the logging module, so a client that sends
``?apikey=...`` would leave its key in the log. This entry point wraps stdout in a
stream that redacts every line, then hands over to daphne's own command line:

    python -m config.serve -b 127.0.0.1 -p 8000 config.asgi:application

With ``SERVE_CPUS`` set (e.g. ``3``, or ``2,3``) it runs the process on those CPUs only
(``os.sched_setaffinity``), so a benchmark or a host can keep the server apart from its
clients or its database.
"""
from __future__ import annotations

import io
import os
import sys


class RedactingStream(io.TextIOBase):
    def __init__(self, target) -> None:
        self._target = target

    def write(self, text: str) -> int:
        from apikeys.redaction import redact

        self._target.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def writable(self) -> bool:
        return True


def cpus_from(value: str) -> set[int] | None:
    """The CPUs ``SERVE_CPUS`` names, or None if it is empty; SystemExit naming the
    variable if it is not a list of CPUs this process may run on."""
    value = value.strip()
    if not value:
        return None
    if not hasattr(os, "sched_setaffinity"):
        raise SystemExit("SERVE_CPUS: pinning to CPUs is not supported on this platform; leave it empty")
    try:
        cpus = {int(part) for part in value.split(",")}
    except ValueError:
        raise SystemExit(f"SERVE_CPUS={value!r}: expected CPU numbers separated by commas, e.g. 3 or 2,3") from None
    available = os.sched_getaffinity(0)
    if not cpus <= available:
        raise SystemExit(
            f"SERVE_CPUS={value!r}: CPU {min(cpus - available)} is not available to this process "
            f"(available: {','.join(map(str, sorted(available)))})"
        )
    return cpus


def pin_process(cpus: set[int]) -> None:
    """Every thread of this process onto ``cpus``; threads started later inherit it."""
    for thread_id in os.listdir("/proc/self/task"):  # sched_setaffinity(0) moves the calling thread only
        try:
            os.sched_setaffinity(int(thread_id), cpus)
        except ProcessLookupError:  # the thread ended meanwhile
            pass


def main() -> None:
    from config.envfile import load_into_environment

    load_into_environment()
    cpus = cpus_from(os.environ.get("SERVE_CPUS", ""))
    if cpus is not None:
        pin_process(cpus)

    from daphne.cli import CommandLineInterface

    sys.stdout = RedactingStream(sys.stdout)
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
