"""Trading API `ping` with our platform key vs the same answer behind
djangorestframework-api-key's `HasAPIKey`, on one live daphne in the same run.

One server process runs bench/_peers_settings.py: the product's settings with
`rest_framework_api_key` installed and bench/_peers_urls.py adding `/bench/peer-ping` (an
APIView like our PingView, `permission_classes=[HasAPIKey]`, no authentication classes).
Ours: GET /api/v1/ping with `X-API-KEY` (shape check, HMAC-SHA256 digest, one indexed
SELECT joined to the user, memo hit: Argon2 only on first use). Theirs: GET
/bench/peer-ping with `Authorization: Api-Key <prefix>.<secret>` (one SELECT by the
unique 8-character prefix, then the library's `Sha512ApiKeyHasher`: an unsalted SHA-512
of the whole key compared in constant time, on every request, no memo). `/healthz` (no
auth) is measured alongside as the floor. Rounds are interleaved (A B C, C B A, ...);
clients are keep-alive threads (bench/_load.py, shared with bench/api_throughput.py).
Target: ours >= 1.0 x theirs in requests/s.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import interleaved, load_arguments, summarise, warm_up  # noqa: E402
from _server import cpu_seconds, machine_busy_seconds, running_keyward  # noqa: E402

TARGET_RATIO = 1.0
DISTURBED = 0.3  # other processes' CPU (share of one core) above which a run is called disturbed
SETTINGS = "bench._peers_settings"
OURS, THEIRS, FLOOR = "ours: ping, platform key (X-API-KEY)", "drf-api-key: ping, HasAPIKey", "healthz (no auth)"

CREATE_PEER_KEY = (
    "from rest_framework_api_key.models import APIKey\n"
    "_, key = APIKey.objects.create_key(name='bench-peer')\n"
    "print(key)"
)


def make_targets(base: str, ours: str, theirs: str) -> dict:
    return {
        OURS: lambda c: c.get(f"{base}/api/v1/ping", headers={"X-API-KEY": ours}),
        THEIRS: lambda c: c.get(f"{base}/bench/peer-ping", headers={"Authorization": f"Api-Key {theirs}"}),
        FLOOR: lambda c: c.get(f"{base}/healthz"),
    }


def library_version() -> str:
    from importlib.metadata import version

    return version("djangorestframework-api-key")


def main() -> int:
    parser = load_arguments(__doc__, rounds=6, seconds=3.0)
    args = parser.parse_args()

    with running_keyward({"DJANGO_SETTINGS_MODULE": SETTINGS}) as server:
        ours = server.seed_key("bench-peer-ours")
        printed = server.manage("shell", "--no-imports", "-c", CREATE_PEER_KEY).strip()
        theirs = printed.splitlines()[-1] if printed else ""
        if "." not in theirs:
            raise SystemExit(f"drf-api-key did not print a key: {theirs!r}")
        targets = make_targets(server.url, ours, theirs)
        warm_up(targets)  # our first use pays one Argon2 verify; keep it out
        busy0, cpu0, clients0 = machine_busy_seconds(), cpu_seconds(server.process.pid), time.process_time()
        totals = interleaved(targets, rounds=args.rounds, threads=args.threads, seconds=args.seconds)
        server_cpu = cpu_seconds(server.process.pid) - cpu0
        clients_cpu = time.process_time() - clients0
        busy = machine_busy_seconds() - busy0

    rows = summarise(totals)
    wall = sum(t["elapsed"] for t in totals.values())
    ratio = rows[OURS]["rps"] / rows[THEIRS]["rps"]
    met = ratio >= TARGET_RATIO
    other_cpu = max(busy - server_cpu - clients_cpu, 0.0) / wall
    lines = [
        f"One daphne process with bench/_peers_settings.py (the product's settings + `rest_framework_api_key` "
        f"{library_version()}; SQLite, DEBUG off, default Argon2 parameters). Ours: `GET /api/v1/ping` with "
        f"`X-API-KEY` (HMAC-SHA256 digest → one indexed SELECT joined to the user → memo hit; Argon2 ran once, in "
        f"the warm-up). drf-api-key: `GET /bench/peer-ping`, an APIView answering the same JSON with "
        f"`permission_classes=[HasAPIKey]`, `authentication_classes=[]`, key in `Authorization: Api-Key`. Its "
        f"hasher in 3.x is `Sha512ApiKeyHasher`: unsalted `hashlib.sha512(key)` compared with "
        f"`constant_time_compare`, after one SELECT by the unique key prefix, on every request (fast because the "
        f"key is random, not because of a cache). {args.threads} keep-alive client threads, {args.rounds} "
        f"interleaved rounds of {args.seconds:g} s per target. Target: ours >= {TARGET_RATIO} x drf-api-key "
        f"requests/s.",
        "",
        "| endpoint | requests/s | p50 | p99 | requests | ratio to drf-api-key |",
        "|---|---|---|---|---|---|",
    ]
    for name in (OURS, THEIRS, FLOOR):
        r = rows[name]
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['n']} | "
            f"{r['rps'] / rows[THEIRS]['rps']:.2f} |"
        )
    lines += [
        "",
        f"Ours / drf-api-key requests/s: **{ratio:.2f}** (target >= {TARGET_RATIO}: {'met' if met else 'MISSED'}). "
        f"CPU in shares of one core ({os.cpu_count()} cores): server {server_cpu / wall:.0%}, client threads "
        f"{clients_cpu / wall:.0%}, other processes on the machine {other_cpu:.0%}"
        f"{' (a disturbed run: another workload shared the cores; the interleaved rounds spread it over both sides)' if other_cpu > DISTURBED else ''}.",
    ]
    print("\n".join(lines[2:]))
    if not args.no_record:
        from _results import record

        record("peer_drf_api_key", "Peer: ping under our platform key vs drf-api-key's HasAPIKey "
               "(bench/peer_drf_api_key.py)", "\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
