"""Run daphne with its access log passed through the secret redactor.

Daphne writes its NCSA-style access log straight to stdout with the full request URI,
query string included, bypassing the logging module, so a client that sends
``?apikey=...`` would leave its key in the log. This entry point wraps stdout in a
stream that redacts every line, then hands over to daphne's own command line:

    python -m config.serve -b 127.0.0.1 -p 8000 config.asgi:application

It also stops Twisted from parsing request bodies itself. Twisted's HTTP request parses
every multipart/form-data POST into ``request.args``, which daphne never reads (it hands
the raw body to the ASGI app), and answers a body it cannot parse with a bare 400 (no
Content-Type, no body, connection closed) before the application sees the request. With
the parsing off, Django and DRF parse the body once and answer such a request the way
the API documents its errors.

And with ``SERVE_CPUS`` set (e.g. ``3``, or ``2,3``) it runs the process on those CPUs
only. One Python process runs Python on one core at a time anyway (the GIL); left to
the scheduler, its event loop and request threads land on different cores, and every
GIL hand-off between them (each SQLite step, each thread hop) becomes a cross-core
wake-up, which on a virtual machine costs more than the work it hands over. Pinned, the
hand-offs stay on one core: bench/api_throughput.py measures both. The cost: the C code
that does use several cores shares the one core too. Argon2's four lanes run in threads:
one verify (a key's first use in a process, or regenerating it) took 208 ms pinned
against 142 ms unpinned on the 2-core benchmark VM.
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


def install_raw_body_requests() -> None:
    """Make daphne's HTTP factory build requests that leave the body to the application."""
    from daphne import http_protocol

    if getattr(http_protocol.WebRequest, "leaves_body_to_application", False):
        return

    class RawBodyWebRequest(http_protocol.WebRequest):
        leaves_body_to_application = True

        def __init__(self, *args, **kwargs):
            kwargs["parsePOSTFormSubmission"] = False
            super().__init__(*args, **kwargs)

    # daphne's HTTPFactory.buildProtocol looks WebRequest up in its module on every connection.
    http_protocol.WebRequest = RawBodyWebRequest


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
    install_raw_body_requests()
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
