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


def main() -> None:
    from daphne.cli import CommandLineInterface

    sys.stdout = RedactingStream(sys.stdout)
    install_raw_body_requests()
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
