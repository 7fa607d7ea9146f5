"""The serving layouts the benchmarks compare, started as tests start them
(tests/livesupport.py: socket bound here and handed over, /healthz wait).

- ``daphne-sqlite``: what ``make run`` serves (one daphne process, SQLite, no Redis);
- ``daphne-pg`` / ``uvicorn-pg``: the ASGI app under daphne or uvicorn over PostgreSQL + Redis;
- ``gunicorn-1w`` / ``gunicorn-2w``: the production layout's HTTP server (config/cluster.py:
  gunicorn, gthread, WSGI) with 1 or 2 workers over PostgreSQL + Redis.

PostgreSQL layouts share one throw-away database (``keyward_bench_<random>`` on
BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432, dropped afterwards) and Redis
at BENCH_REDIS_URL (else REDIS_URL, else redis://127.0.0.1:6379/0) under prefixes of
their own; every server of a run gets the same secrets, so a key seeded once works on all.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.livesupport import LiveKeyward, start_keyward
from tests.support.processes import strong_env

LAYOUTS = {
    "daphne-sqlite": {"server": "daphne", "database": "sqlite"},
    "daphne-pg": {"server": "daphne", "database": "pg"},
    "uvicorn-pg": {"server": "uvicorn", "database": "pg"},
    "gunicorn-1w": {"server": "gunicorn", "database": "pg", "workers": 1},
    "gunicorn-2w": {"server": "gunicorn", "database": "pg", "workers": 2},
}
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


class Run:
    """The servers of one benchmark run, on shared secrets and databases."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        run = uuid.uuid4().hex[:10]
        self.env = strong_env(LOG_LEVEL="WARNING", PYTHONDONTWRITEBYTECODE="1", **env)
        self.sqlite_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        self.pg_name = f"keyward_bench_{run}"
        self.pg_env = {"DATABASE_URL": f"{PG_URL}/{self.pg_name}", "REDIS_URL": REDIS_URL,
                       "CACHE_KEY_PREFIX": f"kw-bench-{run}", "CHANNEL_PREFIX": f"kw-bench-{run}"}
        self.migrated: set[str] = set()
        self.servers: list[LiveKeyward] = []

    def start(self, layout: str, *, cpus: set[int] | None = None, name: str | None = None) -> LiveKeyward:
        spec = LAYOUTS[layout]
        database = spec["database"]
        env = {**self.env, **(self.pg_env if database == "pg" else {"DATABASE_URL": self.sqlite_url})}
        if database == "pg" and database not in self.migrated:
            import psycopg

            with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
        server = start_keyward(self.workdir / (name or layout), env=env, server=spec["server"],
                               workers=spec.get("workers", 1), cpus=cpus, migrate=database not in self.migrated)
        self.migrated.add(database)
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        if "pg" in self.migrated:
            import psycopg

            with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@contextlib.contextmanager
def bench_run(env: dict[str, str] | None = None) -> Iterator[Run]:
    with tempfile.TemporaryDirectory(prefix="keyward-bench-") as tmp:
        run = Run(Path(tmp), env or {})
        try:
            yield run
        finally:
            run.close()


@contextlib.contextmanager
def on_cpus(cpus: set[int] | None) -> Iterator[None]:
    """This process (the load generator) on ``cpus`` while the block runs."""
    if not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
