"""Verify-by-scan (OpenAlgo's cache-miss path) vs our digest index, in one process.

OpenAlgo's `database/auth_db.py` `verify_api_key`, on a miss in its per-process caches,
loads every `api_keys` row and runs `argon2.PasswordHasher().verify(stored_hash, key +
PEPPER)` on each until one matches: N Argon2 runs for a key nobody has, p runs for the
key stored at position p. Its caches (valid keys 10 h, invalid ones 5 min) spare repeats
of the same key, never a new random one. The model here is that loop on our own table
and hasher: the same rows, the same Argon2id parameters (`apikeys.crypto.hasher()`), the
same pepper, so only the lookup strategy differs. Ours is `apikeys.verification.verify`:
HMAC digest -> one indexed SELECT -> memo or one Argon2.

For N stored keys (default 10 / 100 / 1,000; rows from bench/_keystore.py, like
bench/auth_cost.py) and two presented keys, an unknown random one and a valid one at the
median (or a random) position in the scan order: median time of the scan (few
repetitions: one invalid scan at N=1,000 is 1,000 Argon2 runs, ~2 minutes here) and of
ours (memo empty for the valid key, so ours pays its one Argon2 too). Target: ours no
slower than the scan in every case (scan / ours >= 1).
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _keystore import fill_to, median_ms, setup_django
from _server import machine_busy_seconds

TARGET_RATIO = 1.0


def int_list(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def scan_verify(presented: str) -> int | None:
    """The model: every stored hash in table order, one Argon2 verify each, until a match."""
    from apikeys import crypto
    from apikeys.models import PlatformApiKey

    pepper, hasher = crypto.current_pepper(), crypto.hasher()
    rows = PlatformApiKey.objects.filter(key_hash__isnull=False).order_by("pk").values_list("pk", "key_hash")
    for pk, stored in rows:
        if hasher.verify(presented, pepper, stored):
            return pk
    return None


def place_key(position: int) -> tuple[str, int]:
    """Give the row at 1-based ``position`` (scan order) a fresh real key: (key, row id)."""
    from apikeys.models import PlatformApiKey

    row = PlatformApiKey.objects.order_by("pk")[position - 1]
    key = secrets.token_hex(32)
    row.set_secret(key)  # Argon2id hash + Fernet token + digest, as a regenerate does
    row.save(update_fields=["key_hash", "key_encrypted", "lookup_digest"])
    return key, row.pk


def timed_runs(fn, repetitions: int) -> list[float]:
    timings = []
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def measure_size(n: int, position: int, reps: int, samples: int, cold_samples: int) -> dict:
    from apikeys import verification

    fill_to(n)
    key, row_id = place_key(position)

    def ours_invalid():
        assert verification.verify(secrets.token_hex(32)) is None

    def ours_cold():
        verification.memo.clear()
        assert verification.verify(key) is not None

    def ours_warm():
        assert verification.verify(key) is not None

    def scan_invalid():
        assert scan_verify(secrets.token_hex(32)) is None

    def scan_valid():
        assert scan_verify(key) == row_id

    for _ in range(20):  # connection, statement caches, memo
        ours_warm()
        ours_invalid()
    result = {
        "ours_invalid": median_ms(ours_invalid, samples),
        "ours_warm": median_ms(ours_warm, samples),
        "ours_cold": median_ms(ours_cold, cold_samples),
    }
    print(f"N={n:>5}: ours invalid {result['ours_invalid']:.3f} ms, valid cold {result['ours_cold']:.1f} ms, "
          f"warm {result['ours_warm']:.3f} ms; scanning ({reps} x invalid, {reps} x valid at {position})...", flush=True)
    cpu0 = time.process_time()
    result["scan_invalid_runs"] = timed_runs(scan_invalid, reps)
    result["scan_invalid_cpu"] = (time.process_time() - cpu0) / reps * 1000  # ms, all of Argon2's threads
    result["scan_valid_runs"] = timed_runs(scan_valid, reps)
    result["scan_invalid"] = statistics.median(result["scan_invalid_runs"])
    result["scan_valid"] = statistics.median(result["scan_valid_runs"])
    print(f"N={n:>5}: scan invalid {result['scan_invalid'] / 1000:.2f} s "
          f"({result['scan_invalid'] / n:.1f} ms per stored hash), valid at {position}/{n} "
          f"{result['scan_valid'] / 1000:.2f} s", flush=True)
    return result


def fmt_ms(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    if ms >= 1:
        return f"{ms:.1f} ms"
    return f"{ms:.3f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int_list, default=[10, 100, 1000], help="stored keys, e.g. 10,100,1000")
    parser.add_argument("--reps", type=int_list, default=[3, 1, 1],
                        help="scan repetitions per size (one value for all, or one per size)")
    parser.add_argument("--position", choices=("median", "random"), default="median",
                        help="where the valid key sits in the scan order")
    parser.add_argument("--seed", type=int, default=None, help="for --position random")
    parser.add_argument("--samples", type=int, default=200, help="calls per median of ours (invalid, memo hit)")
    parser.add_argument("--cold-samples", type=int, default=5, help="calls per median of ours with an empty memo")
    parser.add_argument("--database-url")
    parser.add_argument("--no-record", action="store_true", help="don't write bench/RESULTS.md")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    reps = args.reps * len(sizes) if len(args.reps) == 1 else args.reps
    if len(reps) != len(sizes) or min(reps) < 1 or min(sizes) < 1:
        parser.error("--reps needs one value, or one per size; all >= 1")
    rng = random.Random(args.seed)

    started, busy0, cpu0 = time.monotonic(), machine_busy_seconds(), time.process_time()
    results: dict[int, dict] = {}
    positions: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(args.database_url or f"sqlite:///{tmp}/scan_model.sqlite3")
        from django.conf import settings

        for n, repetitions in zip(sizes, reps, strict=True):
            positions[n] = (n + 1) // 2 if args.position == "median" else rng.randint(1, n)
            results[n] = measure_size(n, positions[n], repetitions, args.samples, args.cold_samples)
        argon = (f"Argon2id t={settings.ARGON2_TIME_COST}, m={settings.ARGON2_MEMORY_COST} KiB, "
                 f"p={settings.ARGON2_PARALLELISM}")
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    wall = time.monotonic() - started
    other = max(machine_busy_seconds() - busy0 - (time.process_time() - cpu0), 0.0) / wall

    per_hash = statistics.median(r["scan_invalid"] / n for n, r in results.items())
    cpu_per_hash = statistics.median(r["scan_invalid_cpu"] / n for n, r in results.items())
    big = max(sizes)
    lines = [
        f"In one process on {engine}; {argon}, pepper from settings: the scan model and ours use the same "
        f"hasher (`apikeys.crypto.hasher()`) on the same rows. Scan model = OpenAlgo's cache-miss path "
        f"(`verify_api_key`: load every row, Argon2-verify key + pepper against each until one matches); its "
        f"per-process caches spare a repeated key, never a new random one, so an unknown key costs N Argon2 runs. "
        f"Ours = `apikeys.verification.verify` (HMAC digest → one indexed SELECT → memo, else one Argon2). The "
        f"valid key sits at the {args.position} position of the scan order; ours is timed with its memo emptied "
        f"before each call (one Argon2, as on first use), the memo-hit time is shown alongside. Scan figures are "
        f"medians of {'/'.join(str(r) for r in reps)} run(s) per N (a run at N=1,000 takes minutes); ours are "
        f"medians of {args.samples} calls ({args.cold_samples} with an empty memo). Filler rows share one Argon2 "
        f"hash (bench/_keystore.py): a verify costs the same whatever hash a row holds.",
        "",
        "| stored keys N | presented key | scan model | Argon2 runs (scan) | ours | Argon2 runs (ours) "
        "| ours, memo hit | scan / ours | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for n, r in results.items():
        cases = (
            ("unknown (random)", r["scan_invalid"], n, r["ours_invalid"], 0, "—"),
            (f"valid, row {positions[n]:,} of {n:,}", r["scan_valid"], positions[n], r["ours_cold"], 1,
             fmt_ms(r["ours_warm"])),
        )
        for label, scan, scan_runs, ours, our_runs, warm in cases:
            ratio = scan / ours
            met = ratio >= TARGET_RATIO
            ok &= met
            lines.append(
                f"| {n:,} | {label} | {fmt_ms(scan)} | {scan_runs:,} | {fmt_ms(ours)} | {our_runs} | {warm} | "
                f"{(f'{ratio:,.0f}' if ratio >= 100 else f'{ratio:.1f}')}x | >= {TARGET_RATIO:g}: {'met' if met else 'MISSED'} |"
            )
    lines += [
        "",
        f"One Argon2 verify here ≈ {per_hash:.0f} ms of wall time and {cpu_per_hash:.0f} ms of CPU (medians over N "
        f"of the unknown-key scan / N). With the scan every request carrying an unknown key costs N of them: at "
        f"N={big:,}, {results[big]['scan_invalid'] / 1000:.1f} s and {results[big]['scan_invalid_cpu'] / 1000:.1f} "
        f"CPU-seconds per guess (measured above), so one client sending a fresh random key every "
        f"{results[big]['scan_invalid'] / 1000:.1f} s keeps "
        f"~{results[big]['scan_invalid_cpu'] / results[big]['scan_invalid']:.1f} of this machine's {os.cpu_count()} "
        f"cores busy. Ours answers an unknown key with one HMAC and one index miss whatever N is. Whole run "
        f"{wall:.0f} s; other processes used {other:.0%} of one core meanwhile"
        f"{' (a disturbed run: Argon2 times are inflated on both sides alike)' if other > 0.3 else ''}.",
    ]
    print("\n".join(lines[2:]))
    if not args.no_record:
        from _results import record

        record("peer_scan_model", "Peer model: OpenAlgo-style verify-by-scan vs our digest index "
               "(bench/peer_scan_model.py)", "\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
