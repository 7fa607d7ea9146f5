"""Bad input to every trading endpoint gets a 4xx in OpenAlgo's error shape, never a 500,
and the message names the field at fault."""
from __future__ import annotations

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.support.openapi import assert_documented
from trading import instruments

from .support import fast_password_hashing, order_body  # noqa: F401

pytestmark = pytest.mark.django_db

ALL_ENDPOINTS = [
    "ping", "placeorder", "orderstatus", "orderbook", "cancelorder", "tradebook", "positionbook", "funds",
    "quotes", "depth", "pendingorders",
]


def assert_openalgo_error(response, status: int | tuple = 400, mentions: str | None = None) -> str:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) >= {"status", "message"} and body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    if mentions:
        assert mentions in body["message"], body["message"]
    return body["message"]


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
@pytest.mark.parametrize(
    "raw, content_type",
    [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"just a string"', "application/json"),
        ("apikey=x&symbol=SBIN", "application/x-www-form-urlencoded"),
        ("{\"quantity\": NaN}", "application/json"),
        ("[" * 100_000 + "]" * 100_000, "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
    ids=["broken", "array", "string", "form", "nan", "deep-nesting", "not-utf8"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(anon, platform_key, endpoint, raw, content_type):
    response = anon.generic("POST", f"/api/v1/{endpoint}", raw, content_type=content_type, HTTP_X_API_KEY=platform_key)
    assert_openalgo_error(response, 400, mentions="JSON")


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
def test_a_one_megabyte_body_is_a_413(anon, platform_key, endpoint):
    body = json.dumps({"apikey": platform_key, "padding": "x" * (1024 * 1024)})
    response = anon.generic("POST", f"/api/v1/{endpoint}", body, content_type="application/json")
    assert_openalgo_error(response, 413, mentions="too large")


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
def test_a_body_just_over_the_limit_without_a_length_is_refused_too(anon, platform_key, endpoint, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"apikey": platform_key, "padding": "x" * 2000})
    response = anon.generic("POST", f"/api/v1/{endpoint}", body, content_type="application/json", CONTENT_LENGTH="")
    # No declared length: DRF sees no body at all, so the key is missing (403), never a 500.
    assert_openalgo_error(response, (403, 413))


MANDATORY = ["strategy", "symbol", "exchange", "action", "quantity"]


@pytest.mark.parametrize("field", MANDATORY)
def test_placeorder_names_a_missing_mandatory_field(anon, platform_key, field):
    response = anon.post("/api/v1/placeorder", order_body(platform_key, **{field: None}), format="json")
    message = assert_openalgo_error(response, 400)
    assert message == f"Missing mandatory field(s): {field}"


def test_placeorder_names_every_missing_field_at_once(anon, platform_key):
    response = anon.post("/api/v1/placeorder", {"apikey": platform_key}, format="json")
    assert assert_openalgo_error(response) == f"Missing mandatory field(s): {', '.join(MANDATORY)}"


@pytest.mark.parametrize(
    "fields, field_named",
    [
        ({"quantity": "-5"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "1.5"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": [1]}, "quantity"),
        ({"quantity": {"n": 1}}, "quantity"),
        ({"quantity": "1e3"}, "quantity"),
        ({"quantity": 10**15}, "quantity"),
        ({"quantity": "9" * 5000}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"exchange": "XYZ"}, "exchange"),
        ({"exchange": "NSE_INDEX"}, "exchange"),
        ({"exchange": 5}, "exchange"),
        ({"exchange": ["NSE"]}, "exchange"),
        ({"action": "HOLD"}, "action"),
        ({"action": 1}, "action"),
        ({"pricetype": "STOP"}, "pricetype"),
        ({"product": "INTRADAY"}, "product"),
        ({"pricetype": "LIMIT", "price": "abc"}, "price"),
        ({"pricetype": "LIMIT", "price": "-1"}, "price"),
        ({"pricetype": "LIMIT", "price": "NaN"}, "price"),
        ({"pricetype": "LIMIT", "price": "Infinity"}, "price"),
        ({"pricetype": "LIMIT", "price": 1e300}, "price"),
        ({"pricetype": "LIMIT"}, "price"),
        ({"pricetype": "SL", "price": "100"}, "trigger_price"),
        ({"pricetype": "SL-M"}, "trigger_price"),
        ({"pricetype": "SL", "price": "100", "trigger_price": "95", "action": "SELL"}, "trigger_price"),
        ({"pricetype": "SL", "price": "100", "trigger_price": "105", "action": "BUY"}, "trigger_price"),
        ({"trigger_price": "x"}, "trigger_price"),
        ({"disclosed_quantity": "-1"}, "disclosed_quantity"),
        ({"disclosed_quantity": "50"}, "disclosed_quantity"),
        ({"symbol": "SB IN"}, "symbol"),
        ({"symbol": ""}, "symbol"),
        ({"symbol": "X" * 51}, "symbol"),
        ({"symbol": ["SBIN"]}, "symbol"),
        ({"symbol": "<script>"}, "symbol"),
        ({"strategy": "s" * 101}, "strategy"),
        ({"strategy": {"a": 1}}, "strategy"),
    ],
)
def test_placeorder_rejects_bad_fields_naming_them(anon, platform_key, fields, field_named):
    response = anon.post("/api/v1/placeorder", order_body(platform_key, **fields), format="json")
    assert_openalgo_error(response, 400, mentions=field_named)


@pytest.mark.parametrize(
    "fields",
    [
        {"quantity": 7, "price": 0},
        {"quantity": "7.0"},
        {"action": "buy", "exchange": "nse", "pricetype": "market", "product": "cnc"},
        {"action": "sell", "exchange": "nse", "pricetype": "market", "product": "nrml"},
        {"pricetype": "LIMIT", "price": 1, "trigger_price": "0"},
        {"pricetype": "LIMIT", "price": "1.00001"},
        {"pricetype": "LIMIT", "price": 0.30000000000000004},
        {"target": "5", "stoploss": "1", "unknown_field": [1, 2]},
    ],
)
def test_placeorder_accepts_numbers_numeric_strings_and_any_case(anon, platform_key, fields):
    response = anon.post("/api/v1/placeorder", order_body(platform_key, **fields), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "success"


@pytest.mark.parametrize("endpoint", ["orderstatus", "cancelorder"])
@pytest.mark.parametrize(
    "fields, expected_status, mention",
    [
        ({}, 400, "orderid"),
        ({"orderid": ""}, 400, "orderid"),
        ({"orderid": ["1"]}, 400, "orderid"),
        ({"orderid": {"a": 1}}, 400, "orderid"),
        ({"orderid": "9" * 33}, 400, "orderid"),
        ({"orderid": 12345}, 404, "Order not found"),
        ({"orderid": "does-not-exist"}, 404, "Order not found"),
    ],
)
def test_order_id_endpoints_validate_the_order_id(anon, platform_key, endpoint, fields, expected_status, mention):
    response = anon.post(f"/api/v1/{endpoint}", {"apikey": platform_key, **fields}, format="json")
    assert_openalgo_error(response, expected_status, mentions=mention)


@pytest.mark.parametrize("endpoint", ["quotes", "depth"])
@pytest.mark.parametrize(
    "fields, mention",
    [
        ({"exchange": "NSE"}, "symbol"),
        ({"symbol": "SBIN"}, "exchange"),
        ({"symbol": "SBIN", "exchange": "NYSE"}, "exchange"),
        ({"symbol": "SBIN", "exchange": None}, "exchange"),
        ({"symbol": "S B", "exchange": "NSE"}, "symbol"),
        ({"symbol": 5.5, "exchange": "NSE"}, "symbol"),
        ({"symbol": "X" * 1000, "exchange": "NSE"}, "symbol"),
    ],
)
def test_market_data_endpoints_validate_symbol_and_exchange(anon, platform_key, endpoint, fields, mention):
    response = anon.post(f"/api/v1/{endpoint}", {"apikey": platform_key, **fields}, format="json")
    assert_openalgo_error(response, 400, mentions=mention)


def test_market_data_query_parameters_are_validated_too(anon, platform_key):
    response = anon.get(f"/api/v1/quotes?apikey={platform_key}&symbol=SBIN&exchange=MARS")
    assert_openalgo_error(response, 400, mentions="exchange")


def test_pendingorders_rejects_an_unknown_status_filter(anon, platform_key):
    response = anon.post("/api/v1/pendingorders", {"apikey": platform_key, "status": "bogus"}, format="json")
    assert_openalgo_error(response, 400, mentions="status")


@pytest.mark.parametrize("verb", ["approve", "reject"])
@pytest.mark.parametrize(
    "raw",
    ["{broken", "[]", json.dumps({"reason": "r" * 300}), json.dumps({"reason": ["x"]})],
    ids=["broken", "array", "long-reason", "list-reason"],
)
def test_decisions_reject_bad_bodies(api, verb, raw):
    response = api.generic("POST", f"/api/v1/pendingorders/1/{verb}", raw, content_type="application/json")
    if verb == "approve" and raw.startswith('{"reason"'):
        # approve takes no body fields: an ignored field, then the id simply isn't there.
        assert_openalgo_error(response, 404)
    else:
        assert_openalgo_error(response, 400)
    assert_documented(api, "POST", f"/api/v1/pendingorders/{{pending_order_id}}/{verb}/", response)


@pytest.mark.parametrize(
    "path", ["/api/v1/pendingorders/abc/approve", "/api/v1/pendingorders/9999999999999999999999/reject"]
)
def test_a_malformed_pending_order_id_is_a_404_not_a_crash(api, path):
    assert_openalgo_error(api.post(path), 404, mentions="Pending order not found")


def test_the_schema_documents_json_bodies_and_the_symbol_rule():
    # Found by schemathesis: the bodies were documented as */* (the parser's catch-all), so
    # clients were told YAML or multipart would do; and a symbol as any string up to 50.
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/") and "requestBody" in operation:
                assert "*/*" not in operation["requestBody"]["content"], (method, path)
    for name in ("PlaceOrderInputRequest", "SymbolInputRequest"):
        symbol = schema["components"]["schemas"][name]["properties"]["symbol"]
        assert symbol["pattern"] == instruments.SYMBOL_PATTERN.pattern and symbol["maxLength"] == 50
