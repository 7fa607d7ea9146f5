"""What `make run` prints before serving: the pages a new user opens first, with the
address they are served on, and how to change it or reset the admin password.

    python -m config.banner --host 127.0.0.1 --port 8000
"""
from __future__ import annotations

import argparse
import sys

PAGES = (
    ("sign in", "/login/"),
    ("your API key", "/apikey/"),
    ("API playground", "/playground/"),
    ("API docs", "/api/docs/"),
    ("admin", "/admin/"),
)
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def base_url(host: str, port: int) -> str:
    """The address to open in a browser: a wildcard bind is reached through loopback."""
    host = ANY_ADDRESS.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def banner(host: str, port: int) -> str:
    base = base_url(host, port)
    width = max(len(label) for label, _ in PAGES)
    lines = [f"Keyward on {base}/ — open:"]
    lines += [f"  {label:<{width}}  {base}{path}" for label, path in PAGES]
    lines.append(
        "Another address: make run HOST=0.0.0.0 PORT=8080 (add the host name to ALLOWED_HOSTS). "
        "Admin password: .venv/bin/python manage.py changepassword admin"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    print(banner(args.host, args.port), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
