"""What the platform-key check costs, and how it compares with djangorestframework-api-key,
on `make run`'s server (daphne, SQLite) and on the production layout's HTTP server
(gunicorn, 2 gthread workers, PostgreSQL + Redis).

On each server, in one run, interleaved rounds (A B C D, D C B A, ...) of:
- ours: GET /api/v1/ping with the key in X-API-KEY;
- ours, narrowed: the same with a key that has scopes (two of three), an IP allowlist
  (127.0.0.0/8 and an IPv6 network) and a rate limit far above the load, so every
  request also runs the expiry, allowlist and scope checks and counts against the
  limit (one increment in the shared cache: Redis on the production layout);
- no auth: GET /bench/no-auth, ping's own view class with no authentication (AllowAny);
- drf-api-key: GET /bench/peer-ping, ping's view class behind `HasAPIKey`, key in
  `Authorization: Api-Key` (one SELECT by prefix + SHA-512 on every request, no cache).
Targets: ours / no auth >= 0.9 (the key check costs under 10 %), for both of our keys;
ours / drf-api-key >= 1.2.
The servers run bench/_bench_settings.py (the product's settings plus those two views).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _layouts import bench_run
from _load import Target, interleaved, load_arguments, summarise, warm_up

TARGET_OVERHEAD, TARGET_PEER = 0.9, 1.2
LAYOUTS = {"daphne-sqlite": "make run: daphne, SQLite", "gunicorn-2w": "production: gunicorn 2 x gthread, PostgreSQL + Redis"}
OURS, BARE, PEER = "ours: ping, X-API-KEY", "no auth: ping's view, AllowAny", "drf-api-key: HasAPIKey"
NARROWED = "ours, narrowed key: scopes + allowlist + rate limit"
CREATE_NARROWED_KEY = (
    "from django.contrib.auth import get_user_model\n"
    "from apikeys import services\n"
    "user = get_user_model().objects.get(username={username!r})\n"
    "_, key = services.key_create(user=user, name='bench-narrowed', scopes=['read:market', 'read:account'], "
    "allowed_ips=['127.0.0.0/8', '2001:db8::/32'], rate_limit='100000000/min')\n"
    "print(key)"
)
CREATE_PEER_KEY = (
    "from rest_framework_api_key.models import APIKey\n"
    "_, key = APIKey.objects.create_key(name='bench-peer')\n"
    "print(key)"
)


def library_version() -> str:
    from importlib.metadata import version

    return version("djangorestframework-api-key")


def measure(run, layout: str, args) -> dict:
    server = run.start(layout)
    ours = server.seed_key(f"bench-{layout}")
    narrowed = server.manage(
        "shell", "--no-imports", "-c", CREATE_NARROWED_KEY.format(username=f"bench-{layout}"),
    ).strip().splitlines()[-1]
    theirs = server.manage("shell", "--no-imports", "-c", CREATE_PEER_KEY).strip().splitlines()[-1]
    targets = {
        OURS: Target.get(server.url, "/api/v1/ping", {"X-API-KEY": ours}),
        NARROWED: Target.get(server.url, "/api/v1/ping", {"X-API-KEY": narrowed}),
        BARE: Target.get(server.url, "/bench/no-auth"),
        PEER: Target.get(server.url, "/bench/peer-ping", {"Authorization": f"Api-Key {theirs}"}),
    }
    warm_up(targets)
    rows = summarise(interleaved(targets, rounds=args.rounds, connections=args.connections, seconds=args.seconds))
    server.stop()
    return rows


def main() -> int:
    args = load_arguments(__doc__, rounds=4, seconds=3.0).parse_args()
    results = {}
    load_before = os.getloadavg()[0]
    with bench_run({"DJANGO_SETTINGS_MODULE": "bench._bench_settings"}) as run:
        for layout in LAYOUTS:
            print(f"-- {layout}", flush=True)
            results[layout] = measure(run, layout, args)

    lines = [
        f"Per server, interleaved rounds ({args.rounds} x {args.seconds:g} s per endpoint, {args.connections} "
        f"keep-alive connections from one asyncio client process). Ours: `GET /api/v1/ping` with `X-API-KEY`; "
        f"narrowed: the same with a key that has two scopes, an IP allowlist and a rate limit far above the load. "
        f"No auth: ping's view class (DRF, JSON renderer, OpenAlgo errors) with no authentication. "
        f"drf-api-key {library_version()}: the same view with `permission_classes=[HasAPIKey]`. "
        f"Targets: ours / no auth >= {TARGET_OVERHEAD} (both keys), ours / drf-api-key >= {TARGET_PEER}. "
        f"Machine load average (1 min) {load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after, on "
        f"{os.cpu_count()} CPUs shared with other work: the rounds interleave, but a load spike in one round "
        f"still moves a ratio.",
        "",
        "| server | endpoint | requests/s | p50 | p99 | requests/s per round |",
        "|---|---|---|---|---|---|",
    ]
    verdicts, met = [], True
    for layout, rows in results.items():
        for name in (OURS, NARROWED, BARE, PEER):
            r = rows[name]
            per_round = " / ".join(f"{x:.0f}" for x in r["rounds"])
            lines.append(f"| {LAYOUTS[layout]} | {name} | {r['rps']:.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | "
                         f"{per_round} |")
        overhead = rows[OURS]["rps"] / rows[BARE]["rps"]
        narrowed_overhead = rows[NARROWED]["rps"] / rows[BARE]["rps"]
        peer = rows[OURS]["rps"] / rows[PEER]["rps"]
        ok = min(overhead, narrowed_overhead) >= TARGET_OVERHEAD and peer >= TARGET_PEER
        met = met and ok
        verdicts.append(
            f"- {LAYOUTS[layout]}: ours / no auth **{overhead:.2f}** (target >= {TARGET_OVERHEAD}: "
            f"{'met' if overhead >= TARGET_OVERHEAD else 'MISSED'}); narrowed key / no auth "
            f"**{narrowed_overhead:.2f}** ({'met' if narrowed_overhead >= TARGET_OVERHEAD else 'MISSED'}); "
            f"ours / drf-api-key **{peer:.2f}** (target >= {TARGET_PEER}: {'met' if peer >= TARGET_PEER else 'MISSED'})."
        )
    lines += ["", *verdicts]
    print("\n".join(lines[2:]))
    if not args.no_record:
        from _results import record

        record("auth_overhead", "Auth overhead and drf-api-key, make run and production (bench/auth_overhead.py)",
               "\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
