"""`ping` while a provider answers in 12 s to 40 key tests at once, on the production
layout's HTTP server (gunicorn, 2 gthread workers, PostgreSQL + Redis) with 16 and with 64
threads per worker (the default): how many threads a worker needs so that slow provider
calls do not hold up the trading API.

Per thread count: a fake NewsAPI in this process answers after 12 s; 40 vault key tests
(`POST /api/v1/api-keys/test-by-id/<id>`) go out at once; once all 40 wait on it, `ping`
is called back to back over one connection for 8 s. Reported: ping's p50, p99 and max,
next to ping with no key test in flight. Target: with the default threads, ping's p99
under load <= 2 x its p99 at rest (and no ping waiting seconds).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import http.server
import json
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _layouts import bench_run
from _load import percentile

PROVIDER_SECONDS = 12.0
KEY_TESTS = 40
THREADS = (16, 64)
PASSWORD = "bench-slow-provider-1"


class SlowNewsApi(http.server.BaseHTTPRequestHandler):
    arrived = 0

    def do_GET(self):
        SlowNewsApi.arrived += 1
        time.sleep(PROVIDER_SECONDS)
        body = json.dumps({"status": "ok", "totalResults": 0, "articles": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def pings(client: httpx.Client, key: str, seconds: float) -> list[float]:
    latencies = []
    stop_at = time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        assert client.get("/api/v1/ping", headers={"X-API-KEY": key}).status_code == 200
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def measure(run, threads: int, provider_url: str) -> dict:
    from tests.livesupport import start_keyward

    env = {**run.env, **run.pg_env, "NEWS_API_BASE_URL": provider_url, "PROVIDER_TIMEOUT_SECONDS": "20",
           "THROTTLE_SERVICE_KEY_TEST": "1000/min"}
    server = start_keyward(run.workdir / f"t{threads}", env=env, server="gunicorn", workers=2, threads=threads,
                           migrate=False)
    run.servers.append(server)
    username = f"slow-{threads}"
    key = server.manage("seed_platform_key", "--username", username, "--password", PASSWORD).strip()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        jwt = client.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD}).json()["access"]
        auth = {"Authorization": f"Bearer {jwt}"}
        stored = client.post("/api/v1/api-keys/", headers=auth, json={"key_type": "news_api", "api_key": "n" * 32})
        test_path = f"/api/v1/api-keys/test-by-id/{stored.json()['id']}"
        pings(client, key, 1.0)  # warm: first use pays one Argon2
        at_rest = pings(client, key, 4.0)
        SlowNewsApi.arrived = 0
        with concurrent.futures.ThreadPoolExecutor(KEY_TESTS) as pool:
            tests = [pool.submit(httpx.post, server.url + test_path, headers=auth, timeout=60)
                     for _ in range(KEY_TESTS)]
            deadline = time.monotonic() + 8  # fewer arrive when threads run out: that is the point
            while SlowNewsApi.arrived < KEY_TESTS and time.monotonic() < deadline:
                time.sleep(0.05)
            waiting = SlowNewsApi.arrived
            under_load = pings(client, key, 8.0)
            statuses = [t.result().status_code for t in tests]
    server.stop()
    if statuses != [200] * KEY_TESTS:
        raise SystemExit(f"key tests failed with {threads} threads: {sorted(set(statuses))}")
    return {"at_rest": at_rest, "under_load": under_load, "waiting": waiting}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="don't write bench/RESULTS.md")
    args = parser.parse_args()
    provider = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowNewsApi)
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    provider_url = f"http://127.0.0.1:{provider.server_address[1]}"
    results = {}
    with bench_run() as run:
        run.start("gunicorn-1w", name="migrate").stop()  # creates and migrates the shared database
        for threads in THREADS:
            print(f"-- {threads} threads per worker", flush=True)
            results[threads] = measure(run, threads, provider_url)
    provider.shutdown()

    lines = [
        f"gunicorn, 2 gthread workers, PostgreSQL + Redis. {KEY_TESTS} vault key tests at once against a NewsAPI "
        f"stand-in answering in {PROVIDER_SECONDS:g} s; meanwhile `ping` back to back over one connection for 8 s "
        f"(at rest: 4 s before the key tests).",
        "",
        "| threads per worker | key tests waiting on the provider | ping p50 at rest | p99 at rest "
        "| p50 under slow calls | p99 under slow calls | max under slow calls |",
        "|---|---|---|---|---|---|---|",
    ]
    for threads, r in results.items():
        rest, load = r["at_rest"], r["under_load"]
        lines.append(f"| {threads} | {r['waiting']} | {percentile(rest, 0.5):.1f} ms | {percentile(rest, 0.99):.1f} ms | "
                     f"{percentile(load, 0.5):.1f} ms | {percentile(load, 0.99):.1f} ms | {max(load):.0f} ms |")
    default = results[THREADS[-1]]
    ratio = percentile(default["under_load"], 0.99) / percentile(default["at_rest"], 0.99)
    met = ratio <= 2.0
    lines += ["", f"Default ({THREADS[-1]} threads): ping p99 under slow calls / at rest **{ratio:.2f}** "
                  f"(target <= 2: {'met' if met else 'MISSED'})."]
    print("\n".join(lines[2:]))
    if not args.no_record:
        from _results import record

        record("slow_provider", "Slow provider calls vs the trading API (bench/slow_provider.py)", "\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
