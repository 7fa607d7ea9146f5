"""WebSocket fan-out: Keyward's stream as the production layout serves it (uvicorn +
Channels + our consumer, PostgreSQL + Redis) against a bare `websockets` broadcaster doing
the same work (bench/_raw_ws_server.py), in the same run.

Fan-out: C clients each authenticate and subscribe (LTP, mode 1) to S symbols of a
U-symbol universe (listed NSE equities, spread so every symbol has C x S / U
subscribers); every symbol ticks R times a second, so C x S x R frames/s should arrive
(defaults 200 x 10 x 25 = 50,000/s). Per side, after a warm-up: frames/s delivered of
the ticks the server stamped inside the measured window (late ones get 1 s to arrive,
then count as lost), the share of those ticks' frames that arrived, tick latency p50/p99
(client receive time minus the frame's ``data.timestamp``, the server's ms clock when
the tick began: same machine, same clock; the ms truncation adds 0-1 ms to both sides),
and server and client CPU. Rounds are interleaved (K R, R K, ...) so drift on a noisy
machine hits both sides alike.
Target: delivered(Keyward) >= 0.95 x delivered(raw), Keyward's p99 <= 5 ms.

A client that never reads: one connection subscribed to every symbol stops reading
after its handshake for --stall-seconds (60); the server's RSS is sampled every 5 s, then
the client reads what is left: the frames it never got are the ones the server dropped
(its per-connection queue is bounded). Target: RSS grows <= 16 MiB after the first 10 s.

Memory: the stream server's RSS (/proc VmRSS) before and after N idle authenticated
connections (default 1,000), measured first, on the fresh server. Target: <= 100 MiB.
The raw server's figure is shown for comparison.

Every connection uses one platform key: the bench server's WS_MAX_CONNECTIONS_PER_USER
is raised through its environment (default 3 per user) instead of seeding hundreds of
users, so the RSS figure is per-connection state, not hundreds of memoised keys.
Clients are asyncio `websockets` connections in --client-procs worker processes
(default 1; their CPU is printed, so a client-bound run shows itself).
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_RATIO = 0.95
TARGET_P99_MS = 5.0
TARGET_IDLE_MIB = 100.0
TARGET_STALL_GROWTH_MIB = 16.0
EXCHANGE = "NSE"
# The stream serves listed instruments only: the universe is the shipped NSE equity list.
LISTED = [row["symbol"] for row in csv.DictReader(
    (Path(__file__).resolve().parent.parent / "trading" / "data" / "equities.csv").open(encoding="utf-8"))]
CONNECT_CONCURRENCY = 50  # the servers' listen backlog is 512
SETUP_TIMEOUT = 180.0
LATE_GRACE = 1.0  # s after the window for its last ticks to arrive; later ones count as lost


# --- client side (runs in worker processes) --------------------------------------------

async def _open(url: str, key: str, symbols: list[str], gate: asyncio.Semaphore):
    """One authenticated connection, subscribed to ``symbols`` (none: idle)."""
    import websockets

    async with gate:
        ws = await websockets.connect(
            url, compression=None, ping_interval=None, max_size=2**20, open_timeout=60, close_timeout=2,
        )
        await ws.send(json.dumps({"action": "authenticate", "apikey": key}))
        reply = json.loads(await ws.recv())
        if reply.get("type") != "auth" or reply.get("status") != "success":
            raise RuntimeError(f"authentication refused: {reply}")
        if symbols:
            await ws.send(json.dumps(
                {"action": "subscribe", "symbols": [{"symbol": s, "exchange": EXCHANGE} for s in symbols], "mode": 1}
            ))
            while True:  # ticks may overtake the subscribe reply
                reply = json.loads(await ws.recv())
                if reply.get("type") == "subscribe":
                    break
            if reply.get("status") != "success":
                raise RuntimeError(f"subscription refused: {reply}")
        return ws


class Window:
    """The ticks one worker received that the server stamped inside [t0, t1) (ms)."""

    def __init__(self) -> None:
        self.t0 = self.t1 = float("inf")
        self.latencies: list[float] = []
        self.ticks: set[int] = set()
        self.count = 0
        self.cpu = 0.0


async def _read(ws, window: Window) -> None:
    """Every frame is decoded (both sides alike); ticks stamped inside the window count."""
    import websockets

    latencies, ticks = window.latencies, window.ticks
    try:
        async for text in ws:
            received = time.time() * 1000
            message = json.loads(text)
            if message.get("type") == "market_data":
                timestamp = message["data"]["timestamp"]
                if window.t0 <= timestamp < window.t1:
                    latencies.append(received - timestamp)
                    ticks.add(timestamp)
                    window.count += 1
    except websockets.ConnectionClosed:
        pass


async def _close_all(sockets) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def _worker(pipe, job: dict) -> None:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    try:
        sockets = await asyncio.gather(*(_open(job["url"], job["key"], symbols, gate) for symbols in job["plans"]))
    except Exception as exc:  # report, don't hang the parent
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    window = Window()
    readers = [loop.create_task(_read(ws, window)) for ws in sockets]
    pipe.send(("ready", len(sockets)))
    command = await loop.run_in_executor(None, pipe.recv)
    if command[0] == "window":
        start, end, grace = command[1:]
        window.t0, window.t1 = start * 1000, end * 1000
        await asyncio.sleep(max(start - time.time(), 0))
        cpu0 = time.process_time()
        await asyncio.sleep(max(end - time.time(), 0))
        window.cpu = time.process_time() - cpu0
        await asyncio.sleep(grace)  # ticks stamped before t1 still on their way
        pipe.send(("result", {"latencies": window.latencies, "ticks": sorted(window.ticks), "count": window.count,
                              "cpu": window.cpu}))
    await _close_all(sockets)
    for reader in readers:
        reader.cancel()
    pipe.send(("closed",))


def _worker_main(pipe, job: dict) -> None:
    asyncio.run(_worker(pipe, job))


class Clients:
    """``plans`` (one list of symbols per connection) opened by ``procs`` worker processes."""

    def __init__(self, url: str, key: str, plans: list[list[str]], procs: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipes, self.workers = [], []
        for slot in range(procs):
            mine, theirs = ctx.Pipe()
            job = {"url": url, "key": key, "plans": plans[slot::procs]}
            worker = ctx.Process(target=_worker_main, args=(theirs, job), daemon=True)
            worker.start()
            self.pipes.append(mine)
            self.workers.append(worker)

    def expect(self, kind: str, timeout: float = SETUP_TIMEOUT) -> list:
        answers = []
        for pipe, worker in zip(self.pipes, self.workers, strict=True):
            if not pipe.poll(timeout):
                raise SystemExit(f"client worker gave no {kind!r} within {timeout:g} s (alive: {worker.is_alive()})")
            answer = pipe.recv()
            if answer[0] != kind:
                raise SystemExit(f"client worker failed: {answer}")
            answers.append(answer[1] if len(answer) > 1 else None)
        return answers

    def send(self, *command) -> None:
        for pipe in self.pipes:
            pipe.send(command)

    def join(self) -> None:
        for worker in self.workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()


# --- measurements (parent) --------------------------------------------------------------

def symbol_plans(clients: int, per_client: int, universe: int) -> list[list[str]]:
    """Client i takes S consecutive symbols from position i x S: even load per symbol."""
    names = LISTED[:universe]
    return [[names[(i * per_client + j) % universe] for j in range(per_client)] for i in range(clients)]


def measure_fanout(url: str, key: str, pid: int, args) -> dict:
    from _server import cpu_seconds, machine_busy_seconds

    plans = symbol_plans(args.clients, args.symbols, args.universe)
    clients = Clients(url, key, plans, args.client_procs)
    try:
        clients.expect("ready")
        measure = args.seconds - args.warmup
        t0 = time.time() + args.warmup
        t1 = t0 + measure
        clients.send("window", t0, t1, LATE_GRACE)
        time.sleep(max(t0 - time.time(), 0))
        cpu0, busy0 = cpu_seconds(pid), machine_busy_seconds()
        time.sleep(max(t1 - time.time(), 0))
        server_cpu, busy = cpu_seconds(pid) - cpu0, machine_busy_seconds() - busy0
        results = clients.expect("result", timeout=60)
        clients.expect("closed", timeout=60)
    finally:
        clients.join()
    latencies = [x for r in results for x in r["latencies"]]
    ticks = {t for r in results for t in r["ticks"]}
    count = sum(r["count"] for r in results)
    return {
        "count": count, "seconds": measure, "latencies": latencies, "ticks": len(ticks),
        "published": len(ticks) * args.clients * args.symbols,
        "server_cpu": server_cpu, "client_cpu": [r["cpu"] for r in results],
        "other_cpu": max(busy - server_cpu - sum(r["cpu"] for r in results), 0.0),
    }


def measure_idle(url: str, key: str, pid: int, n: int, settle: float) -> dict:
    from _server import rss_kib

    warm = Clients(url, key, [[] for _ in range(20)], 1)  # first verify (Argon2), imports, thread pool
    warm.expect("ready")
    warm.send("close")
    warm.expect("closed")
    warm.join()
    time.sleep(settle)
    before = rss_kib(pid)
    idle = Clients(url, key, [[] for _ in range(n)], 1)
    try:
        idle.expect("ready")
        time.sleep(settle)
        during = rss_kib(pid)
        idle.send("close")
        idle.expect("closed", timeout=60)
    finally:
        idle.join()
    time.sleep(settle)
    return {"before": before, "during": during, "after": rss_kib(pid)}


async def _stalled(url: str, key: str, symbols: list[str], pid: int, seconds: float) -> dict:
    from _server import rss_kib

    ws = await _open(url, key, symbols, asyncio.Semaphore(1))  # then reads nothing: its buffers fill
    began = time.monotonic()
    samples = []
    while time.monotonic() - began < seconds:
        await asyncio.sleep(5)
        samples.append((time.monotonic() - began, rss_kib(pid)))
    elapsed = time.monotonic() - began
    received = 0
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout=2)
            received += 1
    except (TimeoutError, Exception):
        pass
    await ws.close()
    return {"samples": samples, "received": received, "elapsed": elapsed}


def measure_stalled(url: str, key: str, pid: int, universe: int, rate: float, seconds: float) -> dict:
    names = LISTED[:universe]
    result = asyncio.run(_stalled(url, key, names, pid, seconds))
    result["published"] = int(universe * rate * result["elapsed"])
    return result


def summarise(run: list[dict]) -> dict:
    """Merge one side's rounds."""
    latencies = [x for r in run for x in r["latencies"]]
    seconds = sum(r["seconds"] for r in run)
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        p50, p99 = cuts[49], cuts[98]
    else:
        p50 = p99 = float("nan")
    count = sum(r["count"] for r in run)
    server_cpu = sum(r["server_cpu"] for r in run)
    return {
        "rate": count / seconds, "p50": p50, "p99": p99, "max": max(latencies, default=float("nan")),
        "ticks": sum(r["ticks"] for r in run) / seconds, "count": count,
        "share": count / max(sum(r["published"] for r in run), 1),
        "server_cpu": server_cpu / seconds, "us_per_msg": server_cpu / count * 1e6 if count else float("nan"),
        "other_cpu": sum(r["other_cpu"] for r in run) / seconds,
        "client_cpu": max(sum(r["client_cpu"][i] for r in run) / seconds for i in range(len(run[0]["client_cpu"]))),
    }


def raise_fd_limit(needed: int) -> None:
    """Clients hold every socket open at once; the servers (our children) inherit this."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard == resource.RLIM_INFINITY else min(hard, max(soft, needed))
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise SystemExit(f"open file limit {soft} < {needed} needed: raise `ulimit -n`")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="C: subscribed connections")
    parser.add_argument("--symbols", type=int, default=10, help="S: symbols per connection")
    parser.add_argument("--universe", type=int, default=100, help="U: distinct symbols")
    parser.add_argument("--rate", type=float, default=25.0, help="R: ticks per second per symbol")
    parser.add_argument("--seconds", type=float, default=6.0, help="per side per round, warm-up included")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds: K R, then R K, ...")
    parser.add_argument("--idle", type=int, default=1000, help="idle authenticated connections for RSS (0: skip)")
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument("--stall-seconds", type=float, default=60.0, help="the never-reading client (0: skip)")
    parser.add_argument("--no-record", action="store_true", help="don't write bench/RESULTS.md")
    args = parser.parse_args()
    if not 0 <= args.warmup < args.seconds:
        parser.error("--warmup must be shorter than --seconds")
    if args.symbols > args.universe:
        parser.error("--symbols must not exceed --universe")
    if args.universe > len(LISTED):
        parser.error(f"--universe must not exceed the {len(LISTED)} listed NSE equities")
    per_user_limit = max(args.clients, args.idle, 20) + 16
    raise_fd_limit(max(args.clients, args.idle) + 256)

    from _layouts import bench_run
    from _server import running_raw_broadcaster

    env = {"FEED_TICKS_PER_SECOND": f"{args.rate:g}", "WS_MAX_CONNECTIONS_PER_USER": str(per_user_limit)}
    runs: dict[str, list[dict]] = {"keyward": [], "raw": []}
    memory: dict[str, dict] = {}
    stalled = None
    with bench_run(env) as run, running_raw_broadcaster(args.rate) as raw:
        keyward = run.start("uvicorn-pg")
        key = keyward.seed_key("bench-ws-fanout")
        sides = {
            "keyward": (keyward.ws_url + "/", keyward.process.pid),
            "raw": (raw.ws_url + "/", raw.process.pid),
        }
        if args.idle:
            for name, (url, pid) in sides.items():
                memory[name] = measure_idle(url, key, pid, args.idle, settle=2.0)
                m = memory[name]
                print(f"{name}: RSS {m['before'] / 1024:.1f} MiB -> {m['during'] / 1024:.1f} MiB with {args.idle} idle "
                      f"connections ({(m['during'] - m['before']) / 1024:+.1f} MiB), {m['after'] / 1024:.1f} MiB after "
                      "closing them", flush=True)
        for round_number in range(args.rounds):
            order = ["keyward", "raw"] if round_number % 2 == 0 else ["raw", "keyward"]
            for name in order:
                url, pid = sides[name]
                runs[name].append(measure_fanout(url, key, pid, args))
                r = runs[name][-1]
                print(f"round {round_number + 1}/{args.rounds} {name}: {r['count'] / r['seconds']:.0f} msgs/s", flush=True)
        if args.stall_seconds:
            stalled = measure_stalled(keyward.ws_url + "/", key, keyward.process.pid, args.universe, args.rate,
                                      args.stall_seconds)

    expected = args.clients * args.symbols * args.rate
    rows = {name: summarise(run) for name, run in runs.items()}
    ratio = rows["keyward"]["rate"] / rows["raw"]["rate"] if rows["raw"]["rate"] else float("nan")
    ratio_met = ratio >= TARGET_RATIO and rows["keyward"]["p99"] <= TARGET_P99_MS
    labels = {"keyward": "Keyward (uvicorn + Channels consumer)", "raw": "raw `websockets` broadcaster"}
    lines = [
        f"{args.clients} clients x {args.symbols} symbols (LTP) over a {args.universe}-symbol universe at "
        f"{args.rate:g} ticks/s per symbol: expected {expected:,.0f} msgs/s. {args.rounds} round(s) per side of "
        f"{args.seconds:g} s ({args.warmup:g} s warm-up, then measured). Keyward: the production layout's stream server "
        f"(config/cluster.py's uvicorn command, 1 worker, permessage-deflate off, PostgreSQL + Redis, DEBUG off, "
        f"FEED_TICKS_PER_SECOND={args.rate:g}, WS_MAX_CONNECTIONS_PER_USER raised to {per_user_limit} through its "
        f"environment: every connection uses one platform key; WS_SEND_QUEUE_SIZE default) against "
        f"bench/_raw_ws_server.py (same frames, same timer, one serialisation per symbol per tick). Clients: "
        f"{args.client_procs} asyncio `websockets` process(es), no compression. Latency = client receive time "
        f"- the frame's server ms timestamp (same clock; the timestamp is taken once per tick before its frames "
        f"are built, so it includes building the tick). CPU = share of one core during the measured window "
        f"(client: its busiest process; other "
        f"processes: whatever else ran on the machine meanwhile, all cores, which makes a run noisy).",
        "",
        "| server | expected msgs/s | delivered msgs/s | of published | ticks/s | p50 | p99 | max "
        "| server CPU | server CPU per msg | client CPU | other processes' CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("keyward", "raw"):
        r = rows[name]
        lines.append(
            f"| {labels[name]} | {expected:,.0f} | {r['rate']:,.0f} | {r['share']:.2%} | {r['ticks']:.2f} | {r['p50']:.1f} ms | "
            f"{r['p99']:.1f} ms | {r['max']:.0f} ms | {r['server_cpu']:.0%} | {r['us_per_msg']:.0f} µs | "
            f"{r['client_cpu']:.0%} | {r['other_cpu']:.0%} |"
        )
    lines += ["", f"Delivered ratio Keyward / raw: **{ratio:.2f}**, Keyward p99 **{rows['keyward']['p99']:.1f} ms** "
                  f"(targets >= {TARGET_RATIO} and <= {TARGET_P99_MS:g} ms: {'met' if ratio_met else 'MISSED'})."]
    stall_met = True
    if stalled:
        samples = stalled["samples"]
        settled = next((rss for at, rss in samples if at >= 10), samples[0][1])
        growth = (samples[-1][1] - settled) / 1024
        stall_met = growth <= TARGET_STALL_GROWTH_MIB
        dropped = max(stalled["published"] - stalled["received"], 0)
        lines += [
            "",
            f"A client that never reads, subscribed to all {args.universe} symbols ({args.universe * args.rate:,.0f} "
            f"frames/s) for {stalled['elapsed']:.0f} s: server RSS every 5 s "
            f"{' / '.join(f'{rss / 1024:.0f}' for _, rss in samples)} MiB; frames published to it "
            f"{stalled['published']:,}, received when it finally read {stalled['received']:,}, so "
            f"{dropped:,} dropped (WS_SEND_QUEUE_SIZE bounds its queue). RSS growth after the first 10 s: "
            f"**{growth:+.1f} MiB** (target <= {TARGET_STALL_GROWTH_MIB:g} MiB: {'met' if stall_met else 'MISSED'}).",
        ]
    idle_met = True
    if memory:
        lines += [
            "",
            f"Idle connections: RSS of the server process before and after {args.idle:,} authenticated idle "
            "connections (no subscriptions; measured first, on the fresh server, after 20 warm-up connections "
            "and 2 s to settle).",
            "",
            "| server | RSS before | RSS with idle connections | growth | per connection | RSS after closing them |",
            "|---|---|---|---|---|---|",
        ]
        for name in ("keyward", "raw"):
            m = memory[name]
            growth = m["during"] - m["before"]
            lines.append(
                f"| {labels[name]} | {m['before'] / 1024:.1f} MiB | {m['during'] / 1024:.1f} MiB | "
                f"{growth / 1024:+.1f} MiB | {growth / args.idle:.1f} KiB | {m['after'] / 1024:.1f} MiB |"
            )
        growth_mib = (memory["keyward"]["during"] - memory["keyward"]["before"]) / 1024
        idle_met = growth_mib <= TARGET_IDLE_MIB
        lines += ["", f"Keyward RSS growth for {args.idle:,} idle connections: **{growth_mib:.1f} MiB** "
                      f"(target <= {TARGET_IDLE_MIB:g} MiB: {'met' if idle_met else 'MISSED'})."]
    print("\n".join(lines[2:]))
    if not args.no_record:
        from _results import record

        record("ws_fanout", "WebSocket fan-out: Keyward vs a raw `websockets` broadcaster (bench/ws_fanout.py)",
               "\n".join(lines))
    return 0 if ratio_met and idle_met and stall_met else 1


if __name__ == "__main__":
    sys.exit(main())
