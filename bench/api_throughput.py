"""Requests/s and latency of the trading API's `ping` with a valid platform key against
the unauthenticated `/healthz`, on the same live daphne in the same run.

The difference is what platform-key authentication (HMAC digest, one indexed SELECT,
memo hit), DRF and body parsing add per request. Target: ping req/s >= 0.8 x healthz.
The three targets are measured in interleaved rounds (A B C, C B A, ...) so drift in a
noisy machine hits them alike. Clients: threads with one keep-alive httpx.Client each.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import running_keyward  # noqa: E402

TARGET_RATIO = 0.8


def make_targets(base: str, key: str) -> dict:
    return {
        "healthz (GET, no auth)": lambda c: c.get(f"{base}/healthz"),
        "ping (GET, X-API-KEY)": lambda c: c.get(f"{base}/api/v1/ping", headers={"X-API-KEY": key}),
        "ping (POST, JSON apikey)": lambda c: c.post(f"{base}/api/v1/ping", json={"apikey": key}),
    }


def run_round(request, threads: int, seconds: float) -> tuple[int, list[float], float]:
    """Hammer one target from ``threads`` clients for ``seconds``: (count, latencies ms, elapsed)."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []
    start_line = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def worker(slot: int) -> None:
        with httpx.Client(timeout=10) as client:
            request(client)  # open the keep-alive connection outside the timed window
            start_line.wait()
            mine = latencies[slot]
            while time.perf_counter() < stop_at[0]:
                t0 = time.perf_counter()
                response = request(client)
                mine.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                    return

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    stop_at[0] = time.perf_counter() + 3600
    start_line.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"benchmark request failed: {errors[0]}")
    merged = [x for chunk in latencies for x in chunk]
    return len(merged), merged, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0, help="per target per round")
    parser.add_argument("--no-record", action="store_true", help="don't write bench/RESULTS.md")
    args = parser.parse_args()

    with running_keyward() as server:
        key = server.seed_key("bench-throughput")
        targets = make_targets(server.url, key)
        names = list(targets)
        with httpx.Client(timeout=30) as warm:  # first use pays one Argon2 verify; keep it out
            for name in names:
                for _ in range(50):
                    targets[name](warm)
        totals = {name: {"count": 0, "elapsed": 0.0, "latencies": []} for name in names}
        for round_number in range(args.rounds):
            order = names if round_number % 2 == 0 else names[::-1]
            for name in order:
                count, latencies, elapsed = run_round(targets[name], args.threads, args.seconds)
                totals[name]["count"] += count
                totals[name]["elapsed"] += elapsed
                totals[name]["latencies"] += latencies
            print(f"round {round_number + 1}/{args.rounds} done", flush=True)

    rows = {}
    for name in names:
        t = totals[name]
        rows[name] = {
            "rps": t["count"] / t["elapsed"],
            "p50": statistics.median(t["latencies"]),
            "p99": percentile(t["latencies"], 0.99),
            "n": t["count"],
        }
    baseline = rows[names[0]]["rps"]
    lines = [
        f"One daphne process (SQLite, DEBUG off, default Argon2 parameters: the key is verified once, then "
        f"memoised). {args.threads} client threads with keep-alive, {args.rounds} interleaved rounds of "
        f"{args.seconds:g} s per target. Target: ping >= {TARGET_RATIO} x healthz requests/s.",
        "",
        "| endpoint | requests/s | p50 | p99 | requests | ratio to healthz |",
        "|---|---|---|---|---|---|",
    ]
    ok = True
    for name in names:
        r = rows[name]
        ratio = r["rps"] / baseline
        verdict = ""
        if name != names[0]:
            met = ratio >= TARGET_RATIO
            ok &= met
            verdict = f" ({'met' if met else 'MISSED'})"
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['n']} | {ratio:.2f}{verdict} |"
        )
    print("\n".join(lines[2:]))
    if not args.no_record:
        from _results import record

        record("api_throughput", "Trading API throughput: ping with a key vs healthz (bench/api_throughput.py)",
               "\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
