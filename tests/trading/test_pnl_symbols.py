"""pnl/symbols (OpenAlgo's sandbox P&L per symbol): each open position and each one
today's fills touched, with unrealised P&L at the last price, what today's fills realised,
and the day's total; totals over all of them."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from trading import market
from trading.models import Trade

from .support import call, fast_password_hashing, find_fall, freeze_market, place  # noqa: F401

pytestmark = pytest.mark.django_db

AT = 1_790_000_000.0


@pytest.fixture(autouse=True)
def _seed(settings):
    settings.MARKET_SEED = 42


def money(value) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01")))


def test_an_empty_book_has_no_rows_and_zero_totals(anon, platform_key):
    body = call(anon, "pnl/symbols", platform_key).json()
    assert body == {"status": "success", "data": [], "total_pnl": 0.0, "total_unrealized_pnl": 0.0,
                    "total_today_realized_pnl": 0.0, "total_pnl_today": 0.0, "mode": "analyze"}


def test_a_partly_closed_position_shows_realised_and_unrealised_pnl(anon, platform_key, monkeypatch):
    start, later = find_fall("SBIN", "NSE", AT, field="bid", by=0.5)
    freeze_market(monkeypatch, start)
    place(anon, platform_key, action="BUY", quantity="10")
    freeze_market(monkeypatch, later)
    place(anon, platform_key, action="SELL", quantity="4")
    buy, sell = Trade.objects.order_by("id")
    realised = 4 * (sell.price - buy.price)
    unrealised = 6 * (Decimal(str(market.ltp("SBIN", "NSE", later))).quantize(Decimal("0.0001")) - buy.price)

    body = call(anon, "pnl/symbols", platform_key).json()
    assert body["data"] == [{
        "symbol": "SBIN", "exchange": "NSE", "product": "MIS", "quantity": 6,
        "pnl": money(realised + unrealised), "unrealized_pnl": money(unrealised),
        "today_realized_pnl": money(realised), "total_pnl_today": money(realised + unrealised),
    }]
    assert realised < 0  # the market fell: a loss that shows
    assert body["total_today_realized_pnl"] == money(realised)
    assert body["total_unrealized_pnl"] == money(unrealised)
    assert body["total_pnl"] == body["total_pnl_today"] == money(realised + unrealised)


def test_a_position_closed_today_stays_listed_one_closed_on_an_earlier_day_does_not(anon, platform_key,
                                                                                   monkeypatch):
    freeze_market(monkeypatch, AT)
    place(anon, platform_key, symbol="SBIN", action="BUY", quantity="5")
    place(anon, platform_key, symbol="SBIN", action="SELL", quantity="5")
    place(anon, platform_key, symbol="INFY", action="BUY", quantity="5", product="NRML")
    place(anon, platform_key, symbol="INFY", action="SELL", quantity="5", product="NRML")
    Trade.objects.filter(symbol="INFY").update(executed_at=timezone.now() - timedelta(days=2))

    rows = call(anon, "pnl/symbols", platform_key).json()["data"]
    assert [(r["symbol"], r["quantity"], r["unrealized_pnl"]) for r in rows] == [("SBIN", 0, 0.0)]
    sbin_buy, sbin_sell = Trade.objects.filter(symbol="SBIN").order_by("id")
    assert rows[0]["today_realized_pnl"] == money(5 * (sbin_sell.price - sbin_buy.price))


def test_realised_pnl_of_an_earlier_day_is_not_todays(anon, platform_key, monkeypatch):
    freeze_market(monkeypatch, AT)
    place(anon, platform_key, action="BUY", quantity="10", product="NRML")
    place(anon, platform_key, action="SELL", quantity="5", product="NRML")
    Trade.objects.update(executed_at=timezone.now() - timedelta(days=2))
    row = call(anon, "pnl/symbols", platform_key).json()["data"][0]
    assert (row["quantity"], row["today_realized_pnl"]) == (5, 0.0)
    assert row["pnl"] == row["unrealized_pnl"]


def test_it_answers_get_too_and_needs_a_key(anon, platform_key):
    assert anon.get("/api/v1/pnl/symbols", {"apikey": platform_key}).json()["status"] == "success"
    refused = anon.post("/api/v1/pnl/symbols", {}, format="json")
    assert refused.status_code == 403 and refused.json()["status"] == "error"


def test_another_users_positions_are_not_mine(anon, platform_key, other_user):
    from apikeys import services

    _, other_key = services.platform_key_regenerate(user=other_user)
    place(anon, other_key, action="BUY", quantity="3")
    assert call(anon, "pnl/symbols", platform_key).json()["data"] == []
