"""Platform-key verification cost against the number of stored keys.

For N = 10, 1,000 and 10,000 stored keys: median time of `verification.verify` for an
unknown key, a valid key cold (memo empty: one Argon2id at the configured parameters)
and warm (memo hit). Cost must stay flat in N (ratio N=10,000 / N=10 <= 1.5), because
the lookup is one indexed SELECT on the HMAC digest, never a scan of hashes.

Runs on a throw-away SQLite file (or --database-url). Filler rows are bulk-inserted with
valid digests; only the key being measured needs a real Argon2 hash.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _keystore import fill_to, median_ms, setup_django

SIZES = (10, 1_000, 10_000)
TARGETS = {"unknown": ("ratio", 1.5, "median <= 1 ms", 1.0), "cold": ("ratio", 1.5, None, None),
           "warm": ("ratio", 1.5, "median <= 0.5 ms", 0.5)}


def measure(target_key: str, samples: int, cold_samples: int) -> dict[str, float]:
    from apikeys import verification

    def unknown():
        assert verification.verify(secrets.token_hex(32)) is None

    def cold():
        verification.memo.clear()
        assert verification.verify(target_key) is not None

    def warm():
        assert verification.verify(target_key) is not None

    for _ in range(20):  # warm the connection, statement caches and the memo
        warm()
        unknown()
    return {
        "unknown": median_ms(unknown, samples),
        "warm": median_ms(warm, samples),
        "cold": median_ms(cold, cold_samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--cold-samples", type=int, default=15)
    parser.add_argument("--no-record", action="store_true", help="don't write bench/RESULTS.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        setup_django(args.database_url or f"sqlite:///{tmp}/auth_cost.sqlite3")
        from django.conf import settings
        from django.contrib.auth import get_user_model

        from apikeys import services

        target_user = get_user_model().objects.create_user("bench-target", password="!")
        _, target_key = services.platform_key_regenerate(user=target_user)

        results: dict[int, dict[str, float]] = {}
        for n in SIZES:
            fill_to(n)
            results[n] = measure(target_key, args.samples, args.cold_samples)
            print(f"N={n:>6}: " + "  ".join(f"{k} {v:8.3f} ms" for k, v in results[n].items()), flush=True)

        argon = f"Argon2id t={settings.ARGON2_TIME_COST}, m={settings.ARGON2_MEMORY_COST} KiB, p={settings.ARGON2_PARALLELISM}"
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]

    lines = [
        f"Database: {engine}; {argon}. Median of {args.samples} calls ({args.cold_samples} for cold).",
        "",
        "| case | N=10 | N=1,000 | N=10,000 | ratio 10,000/10 | target |",
        "|---|---|---|---|---|---|",
    ]
    ok = True
    for case in ("unknown", "cold", "warm"):
        ratio = results[10_000][case] / results[10][case]
        _, max_ratio, abs_label, abs_limit = TARGETS[case]
        passed = ratio <= max_ratio and (abs_limit is None or results[10_000][case] <= abs_limit)
        ok &= passed
        target = f"ratio <= {max_ratio}" + (f", {abs_label}" if abs_label else "")
        lines.append(
            f"| {case} | {results[10][case]:.3f} ms | {results[1_000][case]:.3f} ms | {results[10_000][case]:.3f} ms "
            f"| {ratio:.2f} | {target}: {'met' if passed else 'MISSED'} |"
        )
        print(f"{case:>8}: ratio N=10,000/N=10 = {ratio:.2f}  ({'met' if passed else 'MISSED'}: {target})")
    if not args.no_record:
        from _results import record

        record("auth_cost", "Platform-key verification cost vs stored keys (bench/auth_cost.py)", "\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
