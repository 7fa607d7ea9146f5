"""HTTP load for the live-server benchmarks: closed-loop keep-alive clients on one
asyncio loop (uvloop), writing pre-built requests and reading answers by Content-Length,
so a single client core can saturate a server core (httpx threads could not).

``Target``: where a request goes and its bytes. ``interleaved``: several targets measured
in alternating rounds (A B C, C B A, ...) so drift on a noisy machine hits them alike.
``summarise``: requests/s, p50, p99. ``percentile``: the nearest-rank percentile every
bench here reports. ``load_arguments``: the command line these benches share.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import statistics
import time
from dataclasses import dataclass

import uvloop

_LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    request: bytes
    # Per connection (round robin over connections): the requests it sends in turn, for
    # targets whose requests differ by client (its own key) or alternate (BUY, SELL).
    cycles: tuple[tuple[bytes, ...], ...] = ()

    @classmethod
    def get(cls, url: str, path: str, headers: dict[str, str] | None = None) -> Target:
        host, port = url.removeprefix("http://").split(":")
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        return cls(host, int(port), ("\r\n".join(lines) + "\r\n\r\n").encode())

    @classmethod
    def post_json(cls, url: str, path: str, bodies: list[list[dict]]) -> Target:
        """POSTs of JSON bodies: connection i sends ``bodies[i % len(bodies)]`` in turn."""
        host, port = url.removeprefix("http://").split(":")

        def request(body: dict) -> bytes:
            payload = json.dumps(body).encode()
            head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n")
            return head.encode() + payload

        cycles = tuple(tuple(request(body) for body in turn) for turn in bodies)
        return cls(host, int(port), cycles[0][0], cycles)


def load_arguments(doc: str, *, rounds: int, seconds: float, connections: int = 32) -> argparse.ArgumentParser:
    """--connections, --rounds, --seconds (per target per round) and --no-record."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--seconds", type=float, default=seconds, help="per target per round")
    parser.add_argument("--no-record", action="store_true", help="don't write bench/RESULTS.md")
    return parser


async def _client(target: Target, index: int, stop_at: float, latencies: list[float], errors: list[str]) -> None:
    requests = itertools.cycle(target.cycles[index % len(target.cycles)] if target.cycles else (target.request,))
    reader, writer = await asyncio.open_connection(target.host, target.port)
    try:
        while time.perf_counter() < stop_at and not errors:
            started = time.perf_counter()
            writer.write(next(requests))
            head = await reader.readuntil(b"\r\n\r\n")
            length = _LENGTH.search(head)
            if length is None:
                errors.append(f"no Content-Length: {head[:200]!r}")
                return
            body = await reader.readexactly(int(length.group(1)))
            latencies.append((time.perf_counter() - started) * 1000)
            if head[9:12] != b"200":
                errors.append(f"{head[:12].decode()}: {body[:200]!r}")
    finally:
        writer.close()


async def _round(target: Target, connections: int, seconds: float) -> tuple[list[float], float]:
    latencies: list[float] = []
    errors: list[str] = []
    began = time.perf_counter()
    await asyncio.gather(*(_client(target, i, began + seconds, latencies, errors) for i in range(connections)))
    if errors:
        raise SystemExit(f"benchmark request failed: {errors[0]}")
    return latencies, time.perf_counter() - began


def run_round(target: Target, connections: int, seconds: float) -> tuple[list[float], float]:
    """``connections`` keep-alive clients on ``target`` for ``seconds``: (latencies ms, elapsed s)."""
    return uvloop.run(_round(target, connections, seconds))


def warm_up(targets: dict[str, Target]) -> None:
    """A round per target outside any measurement, on enough connections to reach every
    worker process: a key's first use in a process pays Argon2."""
    for target in targets.values():
        run_round(target, 16, 3.0)


def interleaved(targets: dict[str, Target], *, rounds: int, connections: int, seconds: float) -> dict[str, dict]:
    """Each target for ``seconds`` per round; even rounds in order, odd rounds reversed."""
    names = list(targets)
    totals = {name: {"elapsed": 0.0, "latencies": [], "rounds": []} for name in names}
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else names[::-1]:
            latencies, elapsed = run_round(targets[name], connections, seconds)
            totals[name]["elapsed"] += elapsed
            totals[name]["latencies"] += latencies
            totals[name]["rounds"].append(len(latencies) / elapsed)
        print(f"round {round_number + 1}/{rounds} done", flush=True)
    return totals


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(totals: dict[str, dict]) -> dict[str, dict]:
    """Per target: requests/s, p50, p99 (ms), the request count and requests/s per round."""
    return {
        name: {
            "rps": len(t["latencies"]) / t["elapsed"],
            "p50": statistics.median(t["latencies"]),
            "p99": percentile(t["latencies"], 0.99),
            "n": len(t["latencies"]),
            "rounds": t["rounds"],
        }
        for name, t in totals.items()
    }
