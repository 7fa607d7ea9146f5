"""Small helpers shared by the trading API tests (plain functions, not fixtures)."""
from __future__ import annotations

import pytest

from trading import market


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users made here never log in with a password check that matters: skip PBKDF2's
    deliberate slowness (import this fixture into a module to apply it there)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def order_body(key: str, **fields) -> dict:
    body = {
        "apikey": key, "strategy": "Test", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
        "pricetype": "MARKET", "product": "MIS", "quantity": "10",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def call(client, endpoint: str, key: str, **fields):
    """POST ``/api/v1/<endpoint>`` with the key in the JSON body, like OpenAlgo's SDK."""
    return client.post(f"/api/v1/{endpoint}", {"apikey": key, **fields}, format="json")


def place(client, key: str, **fields):
    return client.post("/api/v1/placeorder", order_body(key, **fields), format="json")


def freeze_market(monkeypatch, at: float) -> None:
    """Stop the simulated market's clock at ``at`` (Unix seconds)."""
    monkeypatch.setattr(market, "now", lambda: at)


def find_fall(symbol: str, exchange: str, after: float, *, field: str = "ask", by: float = 0.5) -> tuple[float, float]:
    """(start, later): the first start (hourly from ``after``) whose ``field`` falls by more
    than ``by`` within the next six hours, and that later moment (10 s resolution).

    The market is deterministic, so this is a fixed scenario, found rather than hard-coded.
    """
    for hour in range(72):
        start = after + hour * 3600
        level = getattr(market.snapshot(symbol, exchange, start), field)
        for step in range(10, 6 * 3600, 10):
            if getattr(market.snapshot(symbol, exchange, start + step), field) < level - by:
                return start, start + step
    raise AssertionError(f"{symbol} never fell by {by} in three days")
