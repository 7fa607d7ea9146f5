"""In-process key stores for the verification benchmarks (bench/auth_cost.py,
bench/peer_scan_model.py): Django set up on a throw-away database, N platform-key rows
bulk-inserted cheaply, and a median timer.

Filler rows get valid, distinct lookup digests but all share one Argon2id hash (of a
random key, at the configured parameters): one Argon2 run instead of N. Verifying a key
against a row costs the same whichever hash is stored there, since Argon2 recomputes
the hash from the stored salt and parameters either way.
"""
from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill_to(n: int) -> None:
    """Bulk-insert users with platform-key rows until there are ``n`` rows."""
    from django.contrib.auth import get_user_model

    from apikeys import crypto
    from apikeys.fields import ArgonHash, Ciphertext
    from apikeys.models import PlatformApiKey

    User = get_user_model()
    have = PlatformApiKey.objects.count()
    if have >= n:
        return
    pepper = crypto.current_pepper()
    filler_hash = ArgonHash(crypto.hasher().encode(secrets.token_hex(32), pepper))
    filler_token = Ciphertext(crypto.encrypt(secrets.token_hex(32)))
    for start in range(have, n, 2000):
        count = min(2000, n - start)
        users = User.objects.bulk_create(
            [User(username=f"bench-{start + i}-{secrets.token_hex(4)}", password="!") for i in range(count)]
        )
        PlatformApiKey.objects.bulk_create(
            [
                PlatformApiKey(
                    user=u, key_hash=filler_hash, key_encrypted=filler_token,
                    lookup_digest=crypto.lookup_digest(secrets.token_hex(32), pepper),
                )
                for u in users
            ]
        )


def median_ms(fn, samples: int) -> float:
    timings = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)
