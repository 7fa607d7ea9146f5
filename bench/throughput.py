"""Authenticated `ping` requests/s per server core: the candidate serving layouts against
`make run`'s daphne, in one run, with the load generator on a CPU of its own.

Every server runs on the last CPU (all its processes: gunicorn's master and workers
too), the load generator (one asyncio process) on the others; PostgreSQL and Redis go
where the system puts them. Candidates for the production layout's HTTP server, over
PostgreSQL + Redis: gunicorn (gthread, WSGI) with 1 and 2 workers, uvicorn (ASGI) and
daphne (ASGI). Baseline: daphne on SQLite, as `make run` serves. Rounds are
interleaved (A B C ..., ... C B A). Target: the production layout (gunicorn, the better
of 1 and 2 workers) >= 1.5 x make run's daphne per core.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _layouts import bench_run, on_cpus
from _load import Target, interleaved, load_arguments, summarise, warm_up

TARGET = 1.5
BASELINE = "daphne-sqlite"
CANDIDATES = ["gunicorn-1w", "gunicorn-2w", "uvicorn-pg", "daphne-pg"]
LABELS = {
    "daphne-sqlite": "make run: daphne, SQLite",
    "gunicorn-1w": "gunicorn, 1 gthread worker, PostgreSQL + Redis",
    "gunicorn-2w": "gunicorn, 2 gthread workers, PostgreSQL + Redis",
    "uvicorn-pg": "uvicorn, 1 worker (ASGI), PostgreSQL + Redis",
    "daphne-pg": "daphne (ASGI), PostgreSQL + Redis",
}


def main() -> int:
    args = load_arguments(__doc__, rounds=4, seconds=3.0).parse_args()
    available = sorted(os.sched_getaffinity(0))
    server_cpus = {available[-1]}
    client_cpus = set(available[:-1]) or server_cpus
    with bench_run() as run:
        targets, keys = {}, {}  # one key per database: the PostgreSQL layouts share theirs
        for layout in [BASELINE, *CANDIDATES]:
            server = run.start(layout, cpus=server_cpus)
            database = server.env["DATABASE_URL"]
            if database not in keys:
                keys[database] = server.seed_key("bench-throughput")
            targets[layout] = Target.get(server.url, "/api/v1/ping", {"X-API-KEY": keys[database]})
        with on_cpus(client_cpus):
            warm_up(targets)
            rows = summarise(interleaved(targets, rounds=args.rounds, connections=args.connections,
                                         seconds=args.seconds))

    base = rows[BASELINE]["rps"]
    best = max(("gunicorn-1w", "gunicorn-2w"), key=lambda name: rows[name]["rps"])
    ratio = rows[best]["rps"] / base
    met = ratio >= TARGET
    lines = [
        f"`GET /api/v1/ping` with a platform key in `X-API-KEY`; every server pinned to CPU "
        f"{','.join(map(str, sorted(server_cpus)))} (one core: requests/s here are per core), the load generator "
        f"(one asyncio process, {args.connections} keep-alive connections) on CPU "
        f"{','.join(map(str, sorted(client_cpus)))}; {args.rounds} interleaved rounds of {args.seconds:g} s per "
        f"server. Target: gunicorn (better of 1 and 2 workers) >= {TARGET} x make run's daphne per core.",
        "",
        "| server | requests/s per core | p50 | p99 | ratio to make run | requests/s per round |",
        "|---|---|---|---|---|---|",
    ]
    for layout in [BASELINE, *CANDIDATES]:
        r = rows[layout]
        lines.append(f"| {LABELS[layout]} | {r['rps']:.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | "
                     f"{r['rps'] / base:.2f} | {' / '.join(f'{x:.0f}' for x in r['rounds'])} |")
    lines += ["", f"Production layout ({LABELS[best]}) / make run per core: **{ratio:.2f}** "
                  f"(target >= {TARGET}: {'met' if met else 'MISSED'})."]
    print("\n".join(lines[2:]))
    if not args.no_record:
        from _results import record

        record("throughput", "Throughput per core: serving layouts vs make run (bench/throughput.py)", "\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
