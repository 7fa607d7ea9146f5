"""Small helpers and fixtures shared by the trading API tests."""
from __future__ import annotations

from datetime import datetime

import pytest

from trading import market, market_calendar

# 2026-09-22, a Tuesday, 11:00 IST: inside every exchange's session.
IN_SESSION_AT = datetime(2026, 9, 22, 11, 0, tzinfo=market_calendar.IST).timestamp()


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


@pytest.fixture
def market_in_session(monkeypatch, settings):
    """A fixed market seed and the clock stopped at IN_SESSION_AT."""
    settings.MARKET_SEED = 42
    freeze_market(monkeypatch, IN_SESSION_AT)


def ok(response) -> dict:
    """The body of a 200 ``"status": "success"`` answer."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "success", body
    return body


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


def front_future(root: str = "NIFTY", exchange: str = "NFO") -> str:
    """The nearest listed future of ``root`` today (derivative symbols roll with the date)."""
    from trading import instrument_master

    return min((row for row in instrument_master.front_futures(instrument_master.today())
                if row.underlying == root and row.exchange == exchange), key=lambda row: row.expiry or 0).symbol


def listed_option(root: str = "NIFTY", exchange: str = "NFO", option_type: str = "CE", offset: int = 0) -> str:
    """A listed option of ``root``'s nearest expiry today, ``offset`` strikes above the
    middle of its strike grid."""
    from trading import instrument_master

    master = instrument_master.master()
    expiry = master.expiries[(exchange, root, "OPT")][0]
    strikes = master.chains[(exchange, root, expiry)]
    return instrument_master.option_symbol(root, expiry, strikes[len(strikes) // 2 + offset], option_type)
