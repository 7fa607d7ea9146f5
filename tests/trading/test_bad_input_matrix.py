"""Bad input to every new OpenAlgo endpoint gets a 4xx in OpenAlgo's JSON shape, never a
5xx: wrong types, nulls, huge numbers, nested junk, non-object bodies."""
from __future__ import annotations

import json

import pytest

from .support import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db

ENDPOINTS = ["placesmartorder", "basketorder", "splitorder", "modifyorder", "cancelallorder", "closeposition",
             "openposition", "placegttorder", "modifygttorder", "cancelgttorder", "gttorderbook", "holdings",
             "margin", "analyzer", "analyzer/toggle", "pnl/symbols"]
FIELDS = ["symbol", "exchange", "action", "quantity", "position_size", "splitsize", "orders", "orderid", "price",
          "trigger_price", "pricetype", "product", "trigger_type", "trigger_id", "triggerprice_sl",
          "triggerprice_tg", "stoploss", "target", "positions", "mode", "strategy", "disclosed_quantity", "status"]
BAD_VALUES = [None, "", "x" * 300, -1, 10**30, 1.5, "1e400", "NaN", [], {}, [{"a": 1}], [1, 2], [[]], True,
              "SBIN'--", "\u0000"]
BODIES = ["[]", '"text"', "1", "null", "{", "\xff"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_bad_value_in_any_field_gets_a_5xx(anon, platform_key, endpoint):
    for field in FIELDS:
        for value in BAD_VALUES:
            body = {"apikey": platform_key, "strategy": "T", "symbol": "SBIN", "exchange": "NSE", "action": "BUY",
                    "quantity": "1", field: value}
            response = anon.post(f"/api/v1/{endpoint}", body, format="json")
            assert response.status_code < 500, (field, value, response.content[:300])
            payload = response.json()
            assert payload.get("status") in ("success", "error"), (field, value, payload)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("raw", BODIES)
def test_malformed_bodies_answer_400_json(anon, platform_key, endpoint, raw):
    response = anon.post(f"/api/v1/{endpoint}", raw, content_type="application/json", HTTP_X_API_KEY=platform_key)
    assert 400 <= response.status_code < 500
    assert response.json()["status"] == "error"
    json.dumps(response.json())
