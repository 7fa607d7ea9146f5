"""Requests/s and latency of the trading API's `ping` with a valid platform key against
the unauthenticated `/healthz`, on the same live daphne in the same run.

The difference is what platform-key authentication (HMAC digest, one indexed SELECT,
memo hit), DRF and body parsing add per request. Target: ping req/s >= 0.8 x healthz.
`/readyz` (unauthenticated, one single-row table read) is measured alongside: ping against it is
what the key check adds over any answer that touches the database at all.
The targets are measured in interleaved rounds (A B C D, D C B A, ...) so drift in a
noisy machine hits them alike. Clients: threads with one keep-alive httpx.Client each.
A last pass per target reads the server's CPU time and context switches per request
from /proc: what a request costs the server, not the client. SQLite is measured twice:
as `make run` serves it, and pinned to one CPU (SERVE_CPUS), the production layout the
README recommends; PostgreSQL + Redis likewise, unpinned and pinned (PostgreSQL and Redis
then run beside the clients on the other CPU, as the README's layout leaves them a CPU).
"""
from __future__ import annotations

import os
import socket
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import interleaved, load_arguments, run_round, summarise, warm_up  # noqa: E402
from _server import clients_off_cpus, cpu_seconds, running_keyward, voluntary_switches  # noqa: E402

TARGET_RATIO = 0.8
COST_SECONDS = 2.0  # per target, for the server CPU / context-switch pass
POSTGRES = "postgres://postgres@127.0.0.1:5432/keyward_bench"
REDIS = "redis://127.0.0.1:6379/0"


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def configurations(only_sqlite: bool) -> list[tuple[str, dict]]:
    """SQLite as `make run` serves it, then pinned to one CPU (config.serve's SERVE_CPUS);
    PostgreSQL (Django's connection pool) + Redis when both answer here, the same two ways."""
    cpu = str(max(os.sched_getaffinity(0)))
    found = [("SQLite, in-process cache", {}), (f"SQLite, in-process cache, pinned to CPU {cpu} (SERVE_CPUS)", {"SERVE_CPUS": cpu})]
    if not only_sqlite and _answers(5432) and _answers(6379):
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from config.cluster import ensure_postgres_database

        ensure_postgres_database(POSTGRES)
        run = uuid.uuid4().hex[:8]
        shared = {
            "DATABASE_URL": POSTGRES, "REDIS_URL": REDIS,
            "CACHE_KEY_PREFIX": f"kw-bench-{run}", "CHANNEL_PREFIX": f"kw-bench-{run}",
        }
        found.append(("PostgreSQL (connection pool) + Redis cache", shared))
        found.append((f"PostgreSQL (connection pool) + Redis cache, pinned to CPU {cpu} (SERVE_CPUS)",
                      {**shared, "SERVE_CPUS": cpu}))
    return found


def make_targets(base: str, key: str) -> dict:
    return {
        "healthz (GET, no auth)": lambda c: c.get(f"{base}/healthz"),
        "readyz (GET, no auth, one table read)": lambda c: c.get(f"{base}/readyz"),
        "ping (GET, X-API-KEY)": lambda c: c.get(f"{base}/api/v1/ping", headers={"X-API-KEY": key}),
        "ping (POST, JSON apikey)": lambda c: c.post(f"{base}/api/v1/ping", json={"apikey": key}),
    }


def main() -> int:
    parser = load_arguments(__doc__, rounds=4, seconds=3.0)
    parser.add_argument("--sqlite-only", action="store_true", help="skip the PostgreSQL + Redis configuration")
    args = parser.parse_args()

    sections, ok = [], True
    for label, env in configurations(args.sqlite_only):
        print(f"-- {label} --", flush=True)
        with running_keyward(env=env) as server, clients_off_cpus(env.get("SERVE_CPUS")):
            key = server.seed_key("bench-throughput")
            targets = make_targets(server.url, key)
            names = list(targets)
            warm_up(targets)  # first use pays one Argon2 verify; keep it out
            totals = interleaved(targets, rounds=args.rounds, threads=args.threads, seconds=args.seconds)
            costs = server_costs(targets, server.process.pid, threads=args.threads)
        table, met = _table(summarise(totals), costs, names)
        print("\n".join(table), flush=True)
        ok &= met
        sections += [f"**{label}**", "", *table, ""]

    lines = [
        f"One daphne process per configuration (DEBUG off, default Argon2 parameters: the key is verified once, "
        f"then memoised). {args.threads} client threads with keep-alive, {args.rounds} interleaved rounds of "
        f"{args.seconds:g} s per target, then {COST_SECONDS:g} s per target reading the server's CPU time and "
        f"voluntary context switches from /proc. Target: ping >= {TARGET_RATIO} x healthz requests/s. "
        f"HTTP runs through config/request_threads.py (Django's middleware chain in sync mode, entered in one hop, "
        f"on a request thread kept with its database connection, at most REQUEST_THREADS_RUNNING running at once); "
        f"start-up objects are frozen out of the garbage collector (config/asgi.py). The second configuration is "
        f"the same server pinned to one CPU with SERVE_CPUS (config/serve.py): the event loop and the request "
        f"threads then hand the GIL to each other on one core instead of waking each other across cores; "
        f"the client threads run on the other CPU(s) meanwhile. "
        f"Where the gap to healthz comes from: the key check itself (digest, the one read of the key's row that "
        f"every request makes so that a revoked key fails on the very next request in every process, the memo, "
        f"DRF's authentication). On SQLite the key row is read without giving up the GIL "
        f"(apikeys/sqlite_gil_read.py); readyz reads through the sqlite3 module, which releases it at each step, "
        f"waking a thread on the other core when unpinned (compare the context switches). "
        f"On PostgreSQL + Redis a ping makes one round trip (the query), as readyz does, healthz none: the "
        f"connection taken from the pool is checked by polling its socket, not by asking the server "
        f"(config/postgresql/base.py), and the bad-key count in Redis is read at most once a second per client "
        f"address and process (INVALID_APIKEY_RECHECK_SECONDS), not per request. Pinned, PostgreSQL and Redis "
        f"share the other CPU with the clients and keep off the server's, as in the README's production layout, "
        f"which leaves the database a CPU of its own. The last column shows how far one round's "
        f"ratio strays from another's in the same run: the machine's noise.",
        "",
        *sections,
    ]
    if not args.no_record:
        from _results import record

        record("api_throughput", "Trading API throughput: ping with a key vs healthz (bench/api_throughput.py)",
               "\n".join(lines).rstrip())
    return 0 if ok else 1


def server_costs(targets: dict, pid: int, *, threads: int, seconds: float = COST_SECONDS) -> dict[str, dict]:
    """Per target: the server's CPU time and voluntary context switches per request."""
    costs = {}
    for name, request in targets.items():
        cpu, switches = cpu_seconds(pid), voluntary_switches(pid)
        count, _latencies, _elapsed = run_round(request, threads, seconds)
        costs[name] = {
            "cpu_us": (cpu_seconds(pid) - cpu) / count * 1e6,
            "switches": (voluntary_switches(pid) - switches) / count,
        }
    return costs


def _table(rows: dict, costs: dict, names: list[str]) -> tuple[list[str], bool]:
    baseline, ready = rows[names[0]]["rps"], rows[names[1]]["rps"]
    lines = [
        "| endpoint | requests/s | p50 | p99 | requests | server CPU per request | context switches per request "
        "| ratio to readyz | ratio to healthz | ratio to healthz per round (lowest–highest) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for name in names:
        r, c = rows[name], costs[name]
        ratio = r["rps"] / baseline
        verdict = ""
        if name.startswith("ping"):
            met = ratio >= TARGET_RATIO
            ok &= met
            verdict = f" ({'met' if met else 'MISSED'})"
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['n']} | {c['cpu_us']:.0f} µs "
            f"| {c['switches']:.1f} | {r['rps'] / ready:.2f} | {ratio:.2f}{verdict} | {_round_spread(r, rows[names[0]])} |"
        )
    return lines, ok


def _round_spread(row: dict, baseline: dict) -> str:
    """Lowest and highest ratio to healthz within one round: how far the machine's noise
    alone moves the figure in this run."""
    ratios = [mine / theirs for mine, theirs in zip(row["rounds"], baseline["rounds"]) if theirs]
    return f"{min(ratios):.2f}–{max(ratios):.2f}" if ratios else "–"


if __name__ == "__main__":
    sys.exit(main())
