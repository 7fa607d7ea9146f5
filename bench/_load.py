"""HTTP load generation shared by the live-server benchmarks.

``run_round``: closed-loop clients (threads, one keep-alive httpx.Client each) hammer one
target for a fixed time. ``interleaved``: several targets measured in alternating rounds
(A B C, C B A, ...) so drift on a noisy machine hits them alike. ``summarise``:
requests/s, p50 and p99 of what ``interleaved`` gathered. ``percentile``: the
nearest-rank percentile every bench here reports. ``load_arguments``: the command line
the benches built on these share.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable

import httpx

Request = Callable[[httpx.Client], httpx.Response]


def load_arguments(doc: str, *, rounds: int, seconds: float) -> argparse.ArgumentParser:
    """--threads, --rounds, --seconds (per target per round) and --no-record; the caller
    may add its own before parsing."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--seconds", type=float, default=seconds, help="per target per round")
    parser.add_argument("--no-record", action="store_true", help="don't write bench/RESULTS.md")
    return parser


def run_round(request: Request, threads: int, seconds: float) -> tuple[int, list[float], float]:
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


def warm_up(targets: dict[str, Request], requests_each: int = 50) -> None:
    """A few requests per target outside any measurement (first key use pays one Argon2)."""
    with httpx.Client(timeout=30) as client:
        for request in targets.values():
            for _ in range(requests_each):
                response = request(client)
                if response.status_code != 200:
                    raise SystemExit(f"warm-up request failed: {response.status_code}: {response.text[:200]}")


def interleaved(targets: dict[str, Request], *, rounds: int, threads: int, seconds: float) -> dict[str, dict]:
    """Each target for ``seconds`` per round; even rounds in order, odd rounds reversed."""
    names = list(targets)
    totals = {name: {"count": 0, "elapsed": 0.0, "latencies": [], "rounds": []} for name in names}
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            count, latencies, elapsed = run_round(targets[name], threads, seconds)
            totals[name]["count"] += count
            totals[name]["elapsed"] += elapsed
            totals[name]["latencies"] += latencies
            totals[name]["rounds"].append(count / elapsed)
        print(f"round {round_number + 1}/{rounds} done", flush=True)
    return totals


def summarise(totals: dict[str, dict]) -> dict[str, dict]:
    """Per target: requests/s, p50, p99 (ms), the request count and requests/s per round."""
    return {
        name: {
            "rps": t["count"] / t["elapsed"],
            "p50": statistics.median(t["latencies"]),
            "p99": percentile(t["latencies"], 0.99),
            "n": t["count"],
            "rounds": t["rounds"],
        }
        for name, t in totals.items()
    }
