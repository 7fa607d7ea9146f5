"""Several daphne processes over one PostgreSQL (or any DATABASE_URL) and one Redis:
``make cluster``, the scaled-out layout of the README on one machine.

    python -m config.cluster --ports 8001 8002

DATABASE_URL and REDIS_URL come from the environment or ``.env``, else the local
PostgreSQL database ``keyward`` and Redis db 0: never the single-process defaults, since
without Redis each process would have its own cache and channel layer (throttles,
revocations and order events would stop at process borders). Creates the PostgreSQL
database if it does not exist yet, migrates once, then starts one
``config.serve`` (daphne with the redacted access log) per port and stops them all
together on Ctrl-C / SIGTERM, or as soon as one of them dies. With ``--pin-cpus`` each
process runs on a CPU of its own (config.serve's SERVE_CPUS), dealt out of SERVE_CPUS if
that is set, else out of every CPU the cluster may use.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/keyward",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


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


def cpu_per_process(count: int, cluster_cpus: str = "") -> list[str]:
    """One CPU each (SERVE_CPUS values), round robin over ``cluster_cpus`` (the cluster's
    own SERVE_CPUS, from the environment or .env), else over every CPU this process may use.
    Without --pin-cpus each process would run on all of SERVE_CPUS, sharing them."""
    if not hasattr(os, "sched_getaffinity"):
        raise SystemExit("cluster: --pin-cpus is not supported on this platform")
    from config.serve import cpus_from

    available = sorted(cpus_from(cluster_cpus) or os.sched_getaffinity(0))
    return [str(available[i % len(available)]) for i in range(count)]


def serve(ports: list[int], host: str, *, pin_cpus: bool = False) -> int:
    cpus = cpu_per_process(len(ports), os.environ.get("SERVE_CPUS", "")) if pin_cpus else [None] * len(ports)
    processes = [
        subprocess.Popen([sys.executable, "-m", "config.serve", "-b", host, "-p", str(port), "config.asgi:application"],
                         cwd=PROJECT_ROOT, env={**os.environ, "SERVE_CPUS": cpu} if cpu else None)
        for port, cpu in zip(ports, cpus)
    ]
    print("cluster: " + ", ".join(f"http://{host}:{p}/ (pid {proc.pid})" for p, proc in zip(ports, processes)), flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(proc.poll() is None for proc in processes):
            time.sleep(0.2)
    finally:
        for proc in processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    died = [proc for proc in processes if proc.returncode not in (0, -signal.SIGTERM)]
    return 0 if stopping and not died else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports", type=int, nargs="+", default=[8001, 8002])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--pin-cpus", action="store_true",
                        help="run each process on a CPU of its own (SERVE_CPUS), round robin")
    args = parser.parse_args(argv)
    load_environment()
    print(f"cluster: DATABASE_URL={_without_password(os.environ['DATABASE_URL'])} "
          f"REDIS_URL={_without_password(os.environ['REDIS_URL'])}")
    ensure_postgres_database(os.environ["DATABASE_URL"])
    manage("migrate", "--noinput", "--verbosity", "0")
    manage("ensure_admin")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    return serve(args.ports, args.host, pin_cpus=args.pin_cpus)


if __name__ == "__main__":
    sys.exit(main())
