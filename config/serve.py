"""Run daphne with its access log passed through the secret redactor.

Daphne writes its NCSA-style access log straight to stdout with the full request URI,
query string included, bypassing the logging module, so a client that sends
``?apikey=...`` would leave its key in the log. This entry point wraps stdout in a
stream that redacts every line, then hands over to daphne's own command line:

    python -m config.serve -b 127.0.0.1 -p 8000 config.asgi:application
"""
from __future__ import annotations

import io
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


def main() -> None:
    from daphne.cli import CommandLineInterface

    sys.stdout = RedactingStream(sys.stdout)
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
