"""Keeps parallel test workers (pytest-xdist, ``-n``) out of each other's Redis.

Loaded with ``-p`` (pytest.ini), so it runs before Django reads its settings. Each worker
gets its own Redis database (the one after ``REDIS_URL``'s plus the worker's number: the
base database stays for live tests that name it themselves)
and its own key-eviction channel: pub/sub spans databases, and one worker's
``cache.clear()`` (a FLUSHDB) must not empty another's cache or channel-layer groups.
PostgreSQL needs nothing here: pytest-django names each worker's test database itself.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # Redis's default `databases`


def worker_number() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... in a worker
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def redis_url_for_worker(url: str, number: int) -> str:
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit((parts.scheme, parts.netloc, f"/{(base + 1 + number) % REDIS_DATABASES}", parts.query, parts.fragment))


number = worker_number()
if number is not None:
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url_for_worker(os.environ["REDIS_URL"], number)
    os.environ["PLATFORM_KEY_EVICTION_CHANNEL"] = f"keyward:platform-key-evictions:gw{number}"
