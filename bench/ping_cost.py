"""Where the server CPU that `ping` spends beyond `/healthz` goes, layer by layer, on one
live daphne in one run.

bench/api_throughput.py holds ping to >= 0.8 x healthz requests/s. This bench splits
ping's extra cost into the layers it adds (bench/_cost_urls.py serves one answer per
layer, from bench/_cost_settings.py): healthz's view routed where ping is (Django tries
routes in order, and ping's come before healthz's), the platform-key check in a plain
view (digest, the key row's read, memo), ping's DRF view class without the key, and ping
itself (DRF's authentication and permission calling the key check). It has no target of its own; it says what a target on ping can ask of a
server that already spends most of a request in daphne and Django.

The figure is the server's CPU time per request (/proc), not requests/s: it depends on
the server alone, where requests/s also moves with the clients and with whatever else
runs on these 2 noisy cores. The server is pinned to one CPU (SERVE_CPUS) and the
client threads keep to the other(s); rounds are interleaved (A B C, C B A, ...) and each
target's figure is the median of its rounds, shown with the lowest and highest round.
"""
from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import load_arguments, run_round, warm_up  # noqa: E402
from _server import clients_off_cpus, cpu_seconds, running_keyward  # noqa: E402

SETTINGS = "bench._cost_settings"
HEALTHZ, MOVED, KEY_CHECK, DRF, PING = "healthz", "healthz where ping is", "key check", "DRF view", "ping"
ADDS = {
    HEALTHZ: "the floor: `/healthz`, a plain Django view, no key",
    MOVED: "healthz's view routed where ping is (`bench/cost/healthz`)",
    KEY_CHECK: "the key check, then ping's body from a plain view (`bench/cost/key-check`: `verification.verify`, no DRF)",
    DRF: "ping's view class without the key (`bench/cost/drf`: DRF request, renderer, no authentication)",
    PING: "`/api/v1/ping` with `X-API-KEY`: DRF authentication and permission calling the key check",
}


def make_targets(base: str, key: str) -> dict:
    header = {"X-API-KEY": key}
    return {
        HEALTHZ: lambda c: c.get(f"{base}/healthz"),
        MOVED: lambda c: c.get(f"{base}/bench/cost/healthz"),
        KEY_CHECK: lambda c: c.get(f"{base}/bench/cost/key-check", headers=header),
        DRF: lambda c: c.get(f"{base}/bench/cost/drf"),
        PING: lambda c: c.get(f"{base}/api/v1/ping", headers=header),
    }


def cpu_per_request(targets: dict, pid: int, *, rounds: int, threads: int, seconds: float) -> dict[str, list[float]]:
    """Per target, the server's CPU µs per request in each round (interleaved rounds)."""
    names = list(targets)
    found: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else names[::-1]:
            before = cpu_seconds(pid)
            count, _latencies, _elapsed = run_round(targets[name], threads, seconds)
            found[name].append((cpu_seconds(pid) - before) / count * 1e6)
        print(f"round {round_number + 1}/{rounds} done", flush=True)
    return found


def report(rounds: dict[str, list[float]]) -> list[str]:
    cost = {name: statistics.median(values) for name, values in rounds.items()}
    floor = cost[HEALTHZ]
    lines = [
        "| answer | what it adds | server CPU per request | lowest–highest round | over healthz | healthz / this |",
        "|---|---|---|---|---|---|",
    ]
    for name, values in rounds.items():
        lines.append(
            f"| {name} | {ADDS[name]} | {cost[name]:.0f} µs | {min(values):.0f}–{max(values):.0f} µs "
            f"| {cost[name] - floor:+.0f} µs | {floor / cost[name]:.2f} |"
        )
    key_check = cost[KEY_CHECK] - cost[MOVED]
    layers = {
        "ping's place in the URL list (before healthz's)": cost[MOVED] - floor,
        "the key check (digest, key row read, memo)": key_check,
        "DRF's view machinery": cost[DRF] - cost[MOVED],
        "DRF's authentication and permission around the key check": cost[PING] - cost[DRF] - key_check,
    }
    extra = cost[PING] - floor
    allowed = floor * (1 / 0.8 - 1)
    lines += [
        "",
        f"Ping's {extra:.0f} µs over healthz, by layer (differences of the medians above; a layer smaller "
        "than the rounds' spread is within noise):",
        "",
        "| layer | server CPU per request | share of ping's extra |",
        "|---|---|---|",
        *(f"| {layer} | {value:+.0f} µs | {value / extra:.0%} |" for layer, value in layers.items()),
        "",
        f"If requests/s followed the server's CPU alone, ping would get healthz / ping = "
        f"**{floor / cost[PING]:.2f}** of healthz's. The 0.8 target allows ping {allowed:.0f} µs over healthz's "
        f"{floor:.0f} µs; it spends {extra:.0f} µs.",
    ]
    return lines


def main() -> int:
    parser = load_arguments(__doc__, rounds=6, seconds=2.0)
    args = parser.parse_args()

    cpu = str(max(os.sched_getaffinity(0)))
    with running_keyward({"DJANGO_SETTINGS_MODULE": SETTINGS, "SERVE_CPUS": cpu}) as server, clients_off_cpus(cpu):
        key = server.seed_key("bench-ping-cost")
        targets = make_targets(server.url, key)
        warm_up(targets)  # first use of the key pays one Argon2 verify; keep it out
        rounds = cpu_per_request(targets, server.process.pid, rounds=args.rounds, threads=args.threads,
                                 seconds=args.seconds)

    table = report(rounds)
    print("\n".join(table), flush=True)
    if not args.no_record:
        from _results import record

        intro = (
            f"One daphne process (SQLite, DEBUG off) pinned to CPU {cpu} (SERVE_CPUS), {args.threads} keep-alive "
            f"client threads on the other CPU(s), {args.rounds} interleaved rounds of {args.seconds:g} s per answer; "
            "the server's CPU time per request from /proc, median of the rounds. Each answer adds one layer of what "
            "ping does (bench/_cost_urls.py). No target of its own: it says where the gap that "
            "bench/api_throughput.py measures comes from."
        )
        record("ping_cost", "Ping's server CPU over healthz, layer by layer (bench/ping_cost.py)",
               "\n".join([intro, "", *table]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
