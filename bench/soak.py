"""Soak: 64 concurrent clients mixing vault reads, key tests, orders and WebSocket
subscriptions against one live daphne for 60 s. Zero errors expected.

Clients (defaults): 20 vault readers (GET /api/v1/api-keys/ with a JWT), 8 key testers
(POST /api/v1/api-keys/test-by-type/news_api: a real HTTP call from the server to a fake
NewsAPI this bench runs on 127.0.0.1 in its own process), 20 order senders (POST
/api/v1/placeorder with the platform key in X-API-KEY, auto mode, MARKET, BUY and SELL
alternating so positions stay near flat) and 16 WebSocket clients (authenticate with the
platform key, subscribe to 5 symbols in Quote mode and to their user's order events,
send an OpenAlgo `ping` action every second). Closed loop, no think time by default: the
server is saturated for the whole soak. The clients are spread over --users users
(seeded with `manage.py seed_platform_key` on the server's database, JWTs from
/api/v1/auth/token/, one news_api vault key each), so per-user limits stay at their
defaults where the load allows.

Errors: every HTTP exception or non-2xx answer, every 2xx whose body says the operation
failed (an order not "success", a key test not "success"), every WebSocket that fails to
connect, authenticate or subscribe, every error frame and every socket closed before the
end; printed grouped by kind and cause, with the server log's tracebacks. Also: p50/p99
per request kind, ticks received against those published, and the daphne process's RSS
at start, at the end and its peak (sampled every 0.5 s).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import http.server
import json
import math
import multiprocessing
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import percentile

PASSWORD = "soak-" + "Pw-7" * 4
SYMBOLS = ["RELIANCE", "SBIN", "INFY", "TCS", "HDFCBANK", "ICICIBANK", "ITC", "LT", "AXISBANK", "WIPRO"]
EXCHANGE = "NSE"
KEY_TEST_RATE = "1000000/min"
DEFAULT_KEY_TEST_RATE, DEFAULT_LOGIN_RATE, DEFAULT_WS_PER_USER = 30, 20, 3
HTTP_KINDS = ("vault read", "key test", "order")
DISTURBED = 0.3  # other processes' CPU (share of one core) above which a run is called disturbed
KEPT_LOG = Path(tempfile.gettempdir()) / "keyward-soak-daphne.log"  # the server's log, kept when it has errors


# --- fake NewsAPI (own process, so the clients' GIL does not slow its answers) ----------

def _fake_newsapi_main(port_pipe, served) -> None:
    article = {
        "source": {"id": None, "name": "Soak Wire"}, "author": "bench", "title": "Markets steady in soak test",
        "description": "A fixed article.", "url": "http://127.0.0.1/article", "urlToImage": None,
        "publishedAt": "2026-11-25T09:15:00Z", "content": "Nothing happened.",
    }
    ok = json.dumps({"status": "ok", "totalResults": 1, "articles": [article]}).encode()
    refused = json.dumps({"status": "error", "code": "apiKeyMissing", "message": "No key."}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            good = self.path.startswith("/v2/top-headlines") and bool(self.headers.get("X-Api-Key"))
            body = ok if good else refused
            self.send_response(200 if good else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with served.get_lock():
                served.value += 1

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer.request_queue_size = 256
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_pipe.send(server.server_address[1])
    server.serve_forever()


class FakeNewsApi:
    def __enter__(self):
        ctx = multiprocessing.get_context("spawn")
        self.served = ctx.Value("q", 0)
        mine, theirs = ctx.Pipe()
        self.process = ctx.Process(target=_fake_newsapi_main, args=(theirs, self.served), daemon=True)
        self.process.start()
        if not mine.poll(30):
            raise SystemExit("fake NewsAPI did not start")
        self.url = f"http://127.0.0.1:{mine.recv()}"
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.join(10)


# --- WebSocket clients (own process) -----------------------------------------------------

async def _ws_client(url: str, key: str, symbols: list[str], state: dict, out: dict, slot: int) -> None:
    import websockets

    errors, ticks, latencies, pings = out["errors"], out["ticks"], out["tick_latency"], out["ping_latency"]

    def fail(cause: str) -> None:
        errors[cause] = errors.get(cause, 0) + 1

    try:
        ws = await websockets.connect(url, compression=None, ping_interval=None, max_size=2**22, open_timeout=60,
                                      close_timeout=2)
    except Exception as exc:
        fail(f"connect: {type(exc).__name__}")
        return
    sent_pings: dict[int, float] = {}
    try:
        await ws.send(json.dumps({"action": "authenticate", "apikey": key}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if reply.get("type") != "auth" or reply.get("status") != "success":
            fail(f"authenticate: {reply.get('code') or reply.get('message')}")
            return
        await ws.send(json.dumps({"action": "subscribe_orders"}))
        await ws.send(json.dumps({
            "action": "subscribe", "mode": "Quote", "symbols": [{"symbol": s, "exchange": EXCHANGE} for s in symbols],
        }))
        state["connected"] += 1

        async def pinger():
            number = 0
            while not state["stop"]:
                await asyncio.sleep(1.0)
                if state["measuring"] and not state["stop"]:
                    number += 1
                    ping_id = slot * 1_000_000 + number
                    sent_pings[ping_id] = time.perf_counter()
                    await ws.send(json.dumps({"action": "ping", "timestamp": int(time.time() * 1000), "_pingId": ping_id}))

        ping_task = asyncio.get_running_loop().create_task(pinger())
        try:
            async for text in ws:
                received = time.time() * 1000
                message = json.loads(text)
                kind = message.get("type")
                if message.get("status") == "error":
                    fail(f"error frame: {message.get('code')}: {str(message.get('message'))[:80]}")
                elif kind == "market_data":
                    if state["measuring"]:
                        out["tick_count"] += 1
                        ticks.add((message.get("symbol"), message["data"]["timestamp"]))
                        latencies.append(received - message["data"]["timestamp"])
                elif kind == "pong":
                    sent = sent_pings.pop(message.get("_pingId"), None)
                    if sent is not None:
                        pings.append((time.perf_counter() - sent) * 1000)
                elif kind in ("order_update", "pending_order_update"):
                    if state["measuring"]:
                        out["order_events"] += 1
                elif kind == "subscribe":
                    if message.get("status") != "success":
                        fail(f"subscribe: {message.get('status')}")
                    else:
                        state["subscribed"] += 1
                if state["stop"]:
                    break
        finally:
            ping_task.cancel()
        if not state["stop"]:
            fail(f"socket closed by the server during the soak (code {ws.close_code})")
    except websockets.ConnectionClosed as exc:
        if not state["stop"]:
            fail(f"socket closed during the soak (code {exc.rcvd.code if exc.rcvd else None})")
    except Exception as exc:
        fail(f"{type(exc).__name__}: {str(exc)[:80]}")
    finally:
        await ws.close()


async def _ws_worker(pipe, job: dict) -> None:
    loop = asyncio.get_running_loop()
    state = {"stop": False, "measuring": False, "connected": 0, "subscribed": 0}
    out = {"errors": {}, "ticks": set(), "tick_latency": [], "ping_latency": [], "tick_count": 0, "order_events": 0}
    clients = [loop.create_task(_ws_client(job["url"], key, symbols, state, out, slot))
               for slot, (key, symbols) in enumerate(job["plans"])]
    deadline = time.monotonic() + 120
    while state["subscribed"] + sum(out["errors"].values()) < len(clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    pipe.send(("ready", state["subscribed"]))
    command = await loop.run_in_executor(None, pipe.recv)  # ("go", seconds)
    state["measuring"] = True
    await asyncio.sleep(command[1])
    state["measuring"] = False
    subscribed_at_end = state["connected"]
    state["stop"] = True
    await asyncio.wait(clients, timeout=5)
    for client in clients:
        client.cancel()
    pipe.send(("result", {
        "errors": out["errors"], "distinct_ticks": len(out["ticks"]), "tick_count": out["tick_count"],
        "tick_latency": out["tick_latency"], "ping_latency": out["ping_latency"],
        "order_events": out["order_events"], "connected": subscribed_at_end,
    }))


def _ws_worker_main(pipe, job: dict) -> None:
    asyncio.run(_ws_worker(pipe, job))


# --- HTTP clients (threads) --------------------------------------------------------------

class Tally:
    """Latencies and grouped errors per request kind, shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter = collections.Counter()
        self.examples: dict[tuple[str, str], str] = {}

    def ok(self, kind: str, ms: float) -> None:
        with self.lock:
            self.latencies[kind].append(ms)

    def error(self, kind: str, cause: str, example: str = "", ms: float | None = None) -> None:
        with self.lock:
            if ms is not None:
                self.latencies[kind].append(ms)
            self.errors[(kind, cause)] += 1
            self.examples.setdefault((kind, cause), example[:300])


def body_problem(kind: str, response: httpx.Response) -> str | None:
    """Why a 2xx answer still means the operation failed, or None."""
    if kind == "vault read":
        return None
    try:
        body = response.json()
    except ValueError:
        return "2xx without a JSON body"
    if body.get("status") != "success":
        return f"status={body.get('status')!r} error_code={body.get('error_code')!r}"
    return None


def http_client(kind: str, base: str, user: dict, slot: int, stop_at: list[float], start_line, tally: Tally,
                think: float) -> None:
    bearer = {"Authorization": f"Bearer {user['access']}"}
    symbol = SYMBOLS[slot % len(SYMBOLS)]

    def request(client: httpx.Client, number: int) -> httpx.Response:
        if kind == "vault read":
            return client.get(f"{base}/api/v1/api-keys/", headers=bearer)
        if kind == "key test":
            return client.post(f"{base}/api/v1/api-keys/test-by-type/news_api", headers=bearer)
        return client.post(f"{base}/api/v1/placeorder", headers={"X-API-KEY": user["key"]}, json={
            "strategy": "Soak", "symbol": symbol, "exchange": EXCHANGE, "action": "BUY" if number % 2 == 0 else "SELL",
            "pricetype": "MARKET", "product": "MIS", "quantity": "1",
        })

    with httpx.Client(timeout=30) as client:
        start_line.wait()
        number = 0
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            try:
                response = request(client, number)
            except Exception as exc:  # timeouts, resets, protocol errors: all count
                tally.error(kind, f"exception {type(exc).__name__}", str(exc), (time.perf_counter() - t0) * 1000)
                continue
            finally:
                number += 1
            ms = (time.perf_counter() - t0) * 1000
            if not 200 <= response.status_code < 300:
                tally.error(kind, f"HTTP {response.status_code}", response.text, ms)
            elif (problem := body_problem(kind, response)) is not None:
                tally.error(kind, problem, response.text, ms)
            else:
                tally.ok(kind, ms)
            if think:
                time.sleep(think)


# --- set-up ------------------------------------------------------------------------------

def seed_users(server, count: int) -> list[dict]:
    users = []
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for i in range(count):
            username = f"soak-{i}"
            key = server.manage("seed_platform_key", "--username", username, "--password", PASSWORD).strip()
            if not re.fullmatch(r"[0-9a-f]{64}", key):
                raise SystemExit(f"seed_platform_key printed no key: {key[:100]!r}")
            token = client.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
            if token.status_code != 200:
                raise SystemExit(f"JWT for {username}: {token.status_code} {token.text[:200]}")
            access = token.json()["access"]
            stored = client.post("/api/v1/api-keys/", headers={"Authorization": f"Bearer {access}"}, json={
                "key_type": "news_api", "api_key": "soak-news-" + secrets.token_hex(16), "key_name": "Soak NewsAPI",
            })
            if stored.status_code != 201:
                raise SystemExit(f"vault key for {username}: {stored.status_code} {stored.text[:200]}")
            users.append({"username": username, "key": key, "access": access})
            print(f"seeded {username} ({i + 1}/{count})", flush=True)
    return users


def warm_up(base: str, users: list[dict]) -> None:
    """A vault read, a key test and a ping per user, outside the soak (first key use pays its Argon2)."""
    with httpx.Client(timeout=30) as client:
        for user in users:
            bearer = {"Authorization": f"Bearer {user['access']}"}
            checks = (
                ("vault read", client.get(f"{base}/api/v1/api-keys/", headers=bearer)),
                ("key test", client.post(f"{base}/api/v1/api-keys/test-by-type/news_api", headers=bearer)),
                ("ping", client.post(f"{base}/api/v1/ping", headers={"X-API-KEY": user["key"]})),
            )
            for kind, response in checks:
                if response.status_code != 200 or body_problem(kind, response):
                    raise SystemExit(f"warm-up {kind} for {user['username']} failed: {response.status_code} "
                                     f"{response.text[:300]}")


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self.halt = pid, every, [], threading.Event()
        self.began = time.perf_counter()

    def run(self) -> None:
        from _server import rss_kib

        while not self.halt.is_set():
            try:
                self.samples.append((time.perf_counter() - self.began, rss_kib(self.pid)))
            except (OSError, RuntimeError):
                return
            self.halt.wait(self.every)


ACCESS_LINE = re.compile(r"^\d+\.\d+\.\d+\.\d+:\d+ - - \[")  # daphne's access log, same file
RECORD_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (\w+) ([\w.]+): (.*)$")


def server_log_errors(log: str) -> collections.Counter:
    """ERROR/CRITICAL records of the server log, each with the last exception of its traceback."""
    found: collections.Counter = collections.Counter()
    current: list[str] | None = None  # [message, last exception line]

    def flush() -> None:
        if current is not None:
            found[f"{current[0]}" + (f" → {current[1]}" if current[1] else "")] += 1

    for line in log.splitlines():
        record = RECORD_LINE.match(line)
        if record or ACCESS_LINE.match(line):
            flush()
            current = None
            if record and record.group(1) in ("ERROR", "CRITICAL"):
                current = [re.sub(r"/[^ ]*$", "/…", f"{record.group(2)}: {record.group(3)}")[:150], ""]
        elif current is not None and line and not line[0].isspace() and not line.startswith(
                ("Traceback", "During handling", "The above exception")):
            current[1] = line[:150]
    flush()
    return found


# --- main --------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--vault", type=int, default=20, help="vault-reading clients")
    parser.add_argument("--tests", type=int, default=8, help="key-testing clients")
    parser.add_argument("--orders", type=int, default=20, help="order-placing clients")
    parser.add_argument("--ws", type=int, default=16, help="WebSocket clients")
    parser.add_argument("--symbols", type=int, default=5, help="symbols per WebSocket client")
    parser.add_argument("--think-ms", type=float, default=0.0, help="pause between an HTTP client's requests")
    parser.add_argument("--database-url", help="the server's DATABASE_URL (default: a fresh SQLite file)")
    parser.add_argument("--no-record", action="store_true", help="don't write bench/RESULTS.md")
    args = parser.parse_args()
    if args.users < 1 or args.symbols > len(SYMBOLS):
        parser.error(f"--users >= 1, --symbols <= {len(SYMBOLS)}")

    from _server import cpu_seconds, machine_busy_seconds, rss_kib, running_keyward

    ws_per_user = math.ceil(args.ws / args.users) if args.ws else 0
    env = {"THROTTLE_SERVICE_KEY_TEST": KEY_TEST_RATE}
    notes = [
        f"THROTTLE_SERVICE_KEY_TEST={KEY_TEST_RATE} (default {DEFAULT_KEY_TEST_RATE}/min per user: each of the "
        f"{args.tests} key testers sends several tests a second, so the default would turn most into 429s)",
    ]
    if args.users > DEFAULT_LOGIN_RATE:
        env["THROTTLE_LOGIN"] = f"{args.users * 2}/min"
        notes.append(f"THROTTLE_LOGIN={env['THROTTLE_LOGIN']} ({args.users} sign-ins from one address)")
    if ws_per_user > DEFAULT_WS_PER_USER:
        env["WS_MAX_CONNECTIONS_PER_USER"] = str(ws_per_user)
        notes.append(f"WS_MAX_CONNECTIONS_PER_USER={ws_per_user} ({args.ws} sockets over {args.users} users)")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
        notes.append(f"DATABASE_URL={re.sub(r'//[^@/]*@', '//…@', args.database_url)}")
    if args.seconds > 10 * 60:
        env["JWT_ACCESS_MINUTES"] = str(math.ceil(args.seconds / 60) + 10)
        notes.append(f"JWT_ACCESS_MINUTES={env['JWT_ACCESS_MINUTES']} (the soak outlasts the default 15 min)")

    tally = Tally()
    with FakeNewsApi() as newsapi:
        env["NEWS_API_BASE_URL"] = newsapi.url
        with running_keyward(env) as server:
            pid = server.process.pid
            users = seed_users(server, args.users)
            warm_up(server.url, users)
            plans = [(users[i % args.users]["key"], [SYMBOLS[(i + j) % len(SYMBOLS)] for j in range(args.symbols)])
                     for i in range(args.ws)]
            ctx = multiprocessing.get_context("spawn")
            mine, theirs = ctx.Pipe()
            ws_proc = ctx.Process(target=_ws_worker_main, args=(theirs, {"url": server.ws_url + "/", "plans": plans}),
                                  daemon=True)
            ws_proc.start()
            if not mine.poll(180):
                raise SystemExit("WebSocket clients did not get ready")
            ready = mine.recv()
            print(f"{ready[1]}/{args.ws} WebSocket clients subscribed", flush=True)

            roles = ["vault read"] * args.vault + ["key test"] * args.tests + ["order"] * args.orders
            start_line = threading.Barrier(len(roles) + 1)
            stop_at = [time.perf_counter() + 3600]
            threads = [threading.Thread(target=http_client, args=(kind, server.url, users[i % args.users], i, stop_at,
                                                                   start_line, tally, args.think_ms / 1000))
                       for i, kind in enumerate(roles)]
            for t in threads:
                t.start()
            time.sleep(1.0)
            helpers = (ws_proc.pid, newsapi.process.pid)
            rss_start, cpu0, busy0, served0 = rss_kib(pid), cpu_seconds(pid), machine_busy_seconds(), newsapi.served.value
            ours0 = time.process_time() + sum(cpu_seconds(p) for p in helpers)
            sampler = RssSampler(pid)
            sampler.start()
            mine.send(("go", args.seconds))
            start_line.wait()
            began = time.perf_counter()
            stop_at[0] = began + args.seconds
            print(f"soaking for {args.seconds:g} s with {len(roles)} HTTP + {args.ws} WebSocket clients...", flush=True)
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - began
            server_cpu, busy = cpu_seconds(pid) - cpu0, machine_busy_seconds() - busy0
            bench_cpu = time.process_time() + sum(cpu_seconds(p) for p in helpers) - ours0
            served = newsapi.served.value - served0
            ws_result = mine.recv() if mine.poll(60) else ("result", {"errors": {"no result from WS process": 1}})
            ws_proc.join(10)
            sampler.halt.set()
            sampler.join()
            rss_end = rss_kib(pid)
            alive = server.process.poll() is None
            log_errors = server_log_errors(server.log())
            if log_errors:
                KEPT_LOG.write_text(server.log())

    ws = ws_result[1]
    other = max(busy - server_cpu - bench_cpu, 0.0) / elapsed
    rss_peak = max([rss_start, rss_end, *(kib for _, kib in sampler.samples)])
    quarters = [next((kib for t, kib in sampler.samples if t >= args.seconds * q / 4), rss_end) for q in (1, 2, 3)]
    for cause, count in ws.get("errors", {}).items():
        tally.errors[("websocket", cause)] += count
    if not alive:
        tally.errors[("server", "daphne exited during the soak")] += 1
    total_http = sum(len(v) for v in tally.latencies.values())
    error_count = sum(tally.errors.values())

    clients_of = {"vault read": args.vault, "key test": args.tests, "order": args.orders}
    paths = {"vault read": "GET /api/v1/api-keys/ (JWT)", "key test": "POST /api/v1/api-keys/test-by-type/news_api (JWT)",
             "order": "POST /api/v1/placeorder (platform key, auto, MARKET)"}
    lines = [
        f"One daphne process ({'SQLite' if not args.database_url else 'DATABASE_URL below'}, in-memory channel layer, DEBUG off, "
        f"FEED_TICKS_PER_SECOND default 1), "
        f"{args.seconds:g} s, {len(roles) + args.ws} concurrent clients over {args.users} users: "
        f"{args.vault} vault readers, {args.tests} key testers (the server calls a fake NewsAPI on 127.0.0.1, "
        f"a ThreadingHTTPServer in its own process answering `{{\"status\":\"ok\",\"totalResults\":1,\"articles\":[...]}}` "
        f"at once), {args.orders} order senders (MARKET, BUY/SELL alternating, quantity 1) and {args.ws} WebSocket "
        f"clients ({args.symbols} symbols each in Quote mode + their user's order events; an OpenAlgo `ping` "
        f"action every second). HTTP clients: keep-alive httpx threads, closed loop"
        f"{f', {args.think_ms:g} ms think time' if args.think_ms else ', no think time (the server is saturated)'}. "
        "Server environment changed from the defaults: " + "; ".join(notes) + ". Everything else default. Latency "
        "percentiles cover every answer, failed ones included.",
        "",
        "| request kind | clients | answers (ok + errors) | per second | p50 | p99 | max | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in HTTP_KINDS:
        values = tally.latencies.get(kind, [])
        errs = sum(c for (k, _), c in tally.errors.items() if k == kind)
        if values:
            lines.append(
                f"| {kind}: {paths[kind]} | {clients_of[kind]} | {len(values):,} | {len(values) / elapsed:.0f} | "
                f"{statistics.median(values):.0f} ms | {percentile(values, 0.99):.0f} ms | {max(values):.0f} ms | {errs} |"
            )
        else:
            lines.append(f"| {kind}: {paths[kind]} | {clients_of[kind]} | 0 | 0 | — | — | — | {errs} |")
    ws_errs = sum(c for (k, _), c in tally.errors.items() if k == "websocket")
    pings, tick_lat = ws.get("ping_latency", []), ws.get("tick_latency", [])
    if pings:
        lines.append(
            f"| WebSocket `ping` action (round trip) | {args.ws} | {len(pings):,} | {len(pings) / args.seconds:.0f} | "
            f"{statistics.median(pings):.0f} ms | {percentile(pings, 0.99):.0f} ms | {max(pings):.0f} ms | {ws_errs} |"
        )
    expected_frames = args.ws * args.symbols * args.seconds  # 1 tick/s per subscribed symbol
    lines += [
        "",
        f"WebSocket: {ws.get('connected', 0)}/{args.ws} sockets still open at the end; "
        f"{ws.get('tick_count', 0):,} market-data frames received (~{expected_frames:,.0f} expected at 1 tick/s per "
        f"subscribed symbol, {ws.get('tick_count', 0) / max(expected_frames, 1):.0%})"
        + (f", tick latency p50 {statistics.median(tick_lat):.0f} ms / p99 {percentile(tick_lat, 0.99):.0f} ms "
           f"(receive time − the frame's server timestamp)" if tick_lat else "")
        + f"; {ws.get('order_events', 0):,} order events pushed to the sockets.",
        f"Fake NewsAPI served {served:,} calls (key tests: {len(tally.latencies.get('key test', [])):,}).",
        "",
        f"Server process RSS: {rss_start / 1024:.1f} MiB at the start of the soak, "
        + ", ".join(f"{kib / 1024:.1f} MiB at {args.seconds * q / 4:g} s" for q, kib in zip((1, 2, 3), quarters, strict=True))
        + f", {rss_end / 1024:.1f} MiB at the end; peak {rss_peak / 1024:.1f} MiB ({(rss_end - rss_start) / 1024:+.1f} "
        f"MiB over the soak). CPU, in "
        f"shares of one core ({os.cpu_count()} cores): server {server_cpu / elapsed:.0%}, this bench's clients and "
        f"fake provider {bench_cpu / elapsed:.0%}, other processes on the machine {other:.0%}"
        f"{' (a disturbed run: another workload shared the cores)' if other > DISTURBED else ''}. "
        f"{total_http:,} HTTP requests in {elapsed:.1f} s ({total_http / elapsed:.0f}/s).",
        "",
    ]
    if error_count:
        lines += [f"**{error_count} errors** (target: zero: MISSED):", "", "| kind | cause | count | first example |",
                  "|---|---|---|---|"]
        for (kind, cause), count in tally.errors.most_common():
            example = tally.examples.get((kind, cause), "").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {kind} | {cause} | {count} | {example[:160]} |")
    else:
        lines.append("**0 errors** (target: zero: met).")
    if log_errors:
        lines += ["", "Server log: ERROR records → the last exception of their traceback:", ""]
        lines += [f"- {count} × `{cause}`" for cause, count in log_errors.most_common(10)]
    print("\n".join(lines[2:]))
    if log_errors:
        print(f"(server log kept in {KEPT_LOG})")
    if not args.no_record:
        from _results import record

        record("soak", f"Soak: {len(roles) + args.ws} mixed clients for {args.seconds:g} s against one daphne "
               "(bench/soak.py)", "\n".join(lines))
    return 0 if error_count == 0 and not log_errors else 1


if __name__ == "__main__":
    sys.exit(main())
