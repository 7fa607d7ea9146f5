"""The production layout on one machine, ``make cluster``: stock servers over PostgreSQL
and Redis.

    python -m config.cluster --http-port 8000 --stream-port 8001

- HTTP (pages, admin, the whole REST API): gunicorn, ``gthread`` workers, WSGI
  (config/wsgi.py, settings in config/gunicorn.py);
- the WebSocket stream: uvicorn, ASGI (config/asgi.py), on a port of its own, with
  permessage-deflate off; its HTTP routes answer too, but clients use the HTTP port.

DATABASE_URL and REDIS_URL come from the environment or ``.env``, else the local
PostgreSQL database ``keyward`` and Redis db 0: never the single-process defaults, since
without Redis each process would have its own cache and channel layer. Creates the
PostgreSQL database if missing, migrates once, then starts both servers and stops them
together on Ctrl-C / SIGTERM, or as soon as one of them dies. Unless WEBSOCKET_URL is set,
the playground is pointed at the stream's port. With SERVE_CPUS set, every process of
both servers runs on those CPUs. Both access logs pass through the secret redactor.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from config.banner import base_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STREAM_LOGGING = PROJECT_ROOT / "config" / "stream_logging.json"
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/keyward",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
HTTP_WORKERS = 2
WS_MAX_FRAME_BYTES = 1024 * 1024
HTTP_THREADS = 64


def http_command(bind: str, *, workers: int = HTTP_WORKERS, threads: int = HTTP_THREADS) -> list[str]:
    """gunicorn serving config.wsgi; ``bind`` is ``host:port`` or ``fd://N``."""
    return [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn", "--bind", bind,
            "--workers", str(workers), "--threads", str(threads), "config.wsgi:application"]


def stream_command(*, host: str = "127.0.0.1", port: int | None = None, fd: int | None = None,
                   workers: int = 1) -> list[str]:
    """uvicorn serving config.asgi on ``host:port`` or an inherited socket ``fd``."""
    where = ["--fd", str(fd)] if fd is not None else ["--host", host, "--port", str(port)]
    # --no-proxy-headers: the client address is the TCP peer, as under gunicorn and daphne,
    # and NUM_PROXIES alone decides whether X-Forwarded-For counts (allowlists, bad-key
    # limits). --ws-max-size: daphne's 1 MiB frame limit rather than uvicorn's 16 MiB.
    return [sys.executable, "-m", "uvicorn", "config.asgi:application", *where, "--workers", str(workers),
            "--ws-per-message-deflate", "false", "--no-proxy-headers", "--ws-max-size", str(WS_MAX_FRAME_BYTES),
            "--lifespan", "off", "--log-config", str(STREAM_LOGGING)]


def pinned_to(cpus: set[int] | None):
    """A Popen ``preexec_fn`` that runs the child, and every process it forks, on ``cpus``."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def load_environment() -> None:
    """The environment, then ``.env`` (as settings read it), then the local defaults."""
    from config.envfile import load_into_environment

    load_into_environment()
    for name, value in DEFAULTS.items():
        if not os.environ.get(name):
            os.environ[name] = value


def ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE if the named PostgreSQL database is missing (dev convenience)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        return
    import psycopg
    from psycopg import sql

    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"cluster: created PostgreSQL database {name!r}")


def _without_password(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")).geturl()
    return url


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT_ROOT, check=True)


def serve(commands: dict[str, list[str]], *, env: dict[str, str], cpus: set[int] | None) -> int:
    """Run every command until a signal or until one of them exits; stop them all."""
    processes = {name: subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, preexec_fn=pinned_to(cpus))
                 for name, command in commands.items()}
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(proc.poll() is None for proc in processes.values()):
            time.sleep(0.2)
    finally:
        for proc in processes.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    died = [name for name, proc in processes.items() if proc.returncode not in (0, -signal.SIGTERM)]
    for name in died:
        print(f"cluster: {name} exited with {processes[name].returncode}", file=sys.stderr)
    return 0 if stopping and not died else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--stream-port", type=int, default=8001)
    parser.add_argument("--http-workers", type=int, default=HTTP_WORKERS)
    parser.add_argument("--http-threads", type=int, default=HTTP_THREADS,
                        help="threads per HTTP worker: more than the provider calls (seconds each) "
                             "a worker may have in flight at once")
    parser.add_argument("--stream-workers", type=int, default=1)
    args = parser.parse_args(argv)
    load_environment()
    from config.serve import cpus_from

    cpus = cpus_from(os.environ.get("SERVE_CPUS", ""))
    stream_url = "ws" + base_url(args.host, args.stream_port).removeprefix("http") + "/ws/"  # [::1], not ::1
    os.environ.setdefault("WEBSOCKET_URL", stream_url)
    print(f"cluster: DATABASE_URL={_without_password(os.environ['DATABASE_URL'])} "
          f"REDIS_URL={_without_password(os.environ['REDIS_URL'])}")
    ensure_postgres_database(os.environ["DATABASE_URL"])
    manage("migrate", "--noinput", "--verbosity", "0")
    manage("ensure_admin")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    print(f"cluster: HTTP on http://{args.host}:{args.http_port}/ (gunicorn, {args.http_workers} workers x "
          f"{args.http_threads} threads), stream on {stream_url} (uvicorn, {args.stream_workers} workers)", flush=True)
    return serve({
        "http": http_command(f"{args.host}:{args.http_port}", workers=args.http_workers, threads=args.http_threads),
        "stream": stream_command(host=args.host, port=args.stream_port, workers=args.stream_workers),
    }, env=dict(os.environ), cpus=cpus)


if __name__ == "__main__":
    sys.exit(main())
