"""The playground's page and JSON endpoints: session only, keys blanked, categories,
the Postman export."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest
from cryptography.fernet import Fernet

from apikeys import services
from playground import catalog, postman
from tests.conftest import jwt_client_for

pytestmark = pytest.mark.django_db

JSON_ENDPOINTS = ("/playground/api-key", "/playground/token", "/playground/collections", "/playground/endpoints")
LITERAL_KEY = "f" * 64

# The parts of Postman's collection v2.1.0 schema a runner depends on (the published
# schema cannot be fetched here; newman loading and running the export is the e2e check).
POSTMAN_V21 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["info", "item"],
    "properties": {
        "info": {
            "type": "object",
            "required": ["name", "schema"],
            "properties": {
                "name": {"type": "string"},
                "_postman_id": {"type": "string"},
                "schema": {"const": postman.SCHEMA_URL},
            },
        },
        "item": {"type": "array", "items": {"$ref": "#/definitions/entry"}},
        "variable": {
            "type": "array",
            "items": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}},
        },
    },
    "definitions": {
        "entry": {"oneOf": [{"$ref": "#/definitions/folder"}, {"$ref": "#/definitions/item"}]},
        "folder": {
            "type": "object",
            "required": ["name", "item"],
            "not": {"required": ["request"]},
            "properties": {"name": {"type": "string"}, "item": {"type": "array", "items": {"$ref": "#/definitions/entry"}}},
        },
        "item": {
            "type": "object",
            "required": ["name", "request"],
            "not": {"required": ["item"]},
            "properties": {
                "name": {"type": "string"},
                "request": {
                    "type": "object",
                    "required": ["method", "url"],
                    "properties": {
                        "method": {"enum": ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"]},
                        "url": {
                            "type": "object",
                            "required": ["raw"],
                            "properties": {
                                "raw": {"type": "string"},
                                "host": {"type": "array", "items": {"type": "string"}},
                                "path": {"type": "array", "items": {"type": "string"}},
                                "query": {"type": "array", "items": {
                                    "type": "object", "required": ["key"],
                                    "properties": {"key": {"type": "string"}, "value": {"type": ["string", "null"]}},
                                }},
                            },
                        },
                        "header": {"type": "array", "items": {
                            "type": "object", "required": ["key", "value"],
                            "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                        }},
                        "body": {
                            "type": "object",
                            "properties": {"mode": {"enum": ["raw", "urlencoded", "formdata", "file", "graphql"]},
                                           "raw": {"type": "string"}},
                        },
                        "auth": {
                            "type": "object", "required": ["type"],
                            "properties": {"type": {"enum": ["noauth", "bearer", "basic", "apikey", "oauth2"]}},
                        },
                        "description": {"type": "string"},
                    },
                },
                "event": {"type": "array", "items": {
                    "type": "object", "required": ["listen", "script"],
                    "properties": {
                        "listen": {"enum": ["test", "prerequest"]},
                        "script": {"type": "object", "required": ["exec"], "properties": {
                            "type": {"const": "text/javascript"},
                            "exec": {"type": "array", "items": {"type": "string"}},
                        }},
                    },
                }},
            },
        },
    },
}


@pytest.fixture
def session(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def literal_key_collection(tmp_path, settings):
    """A collection whose files hold a literal key, as a hand-written one might."""
    (tmp_path / "bruno.json").write_text(json.dumps({"version": "1", "name": "Leaky", "type": "collection"}))
    (tmp_path / "utilities").mkdir()
    (tmp_path / "utilities" / "ping.bru").write_text(
        "meta {\n  name: Ping\n  seq: 1\n}\n\npost {\n  url: http://127.0.0.1:5000/api/v1/ping?apikey=" + LITERAL_KEY
        + "\n  body: json\n  auth: none\n}\n\nbody:json {\n  {\"apikey\": \"" + LITERAL_KEY + "\", \"x\": [{\"apikey\": \""
        + LITERAL_KEY + "\"}]}\n}\n"
    )
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "auth.bru").write_text(
        "meta {\n  name: Auth\n  type: websocket\n}\n\nwebsocket {\n  url: ws://127.0.0.1:8765\n}\n\n"
        "message:json {\n  {\"action\": \"authenticate\", \"apikey\": \"" + LITERAL_KEY + "\"}\n}\n"
    )
    settings.PLAYGROUND_COLLECTION_DIR = str(tmp_path)
    return tmp_path


# --- access ------------------------------------------------------------------------------

def test_page_requires_login(client):
    response = client.get("/playground/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_json_endpoints_refuse_anonymous_visitors(anon, url):
    response = anon.get(url)
    assert response.status_code == 403
    assert "api_key" not in response.json() and "access" not in response.json()


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_json_endpoints_take_the_session_not_a_jwt(user, platform_key, url):
    response = jwt_client_for(user).get(url)
    assert response.status_code == 403
    assert platform_key not in response.content.decode()


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
@pytest.mark.parametrize("slash", ["", "/"])
def test_json_endpoints_answer_with_and_without_trailing_slash(session, url, slash):
    assert session.get(url + slash).status_code == 200


# --- the page ---------------------------------------------------------------------------

def test_page_has_its_panels_and_loads_only_local_scripts(session, platform_key):
    html = session.get("/playground/").content.decode()
    for element in ("endpoint-search", "endpoint-list", "request-tabs", "method", "url", "body-editor", "send",
                    "copy-curl", "api-key", "toggle-key", "copy-key", "response-status", "response-time",
                    "response-size", "response-headers", "response-body", "history-list", "ws-connect",
                    "ws-authenticate", "ws-template", "ws-message", "ws-send", "ws-log", "ws-filter", "ws-ping"):
        assert f'id="{element}"' in html, element
    assert platform_key not in html  # the key comes from /playground/api-key, never the HTML
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script (CSP)
    assert not re.search(r"<style\b|\sstyle=", html)  # no inline style (CSP)
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith("/static/") for src in sources)


def test_page_assets_are_served_locally(session):
    html = session.get("/playground/").content.decode()
    for src in re.findall(r'(?:src|href)="(/static/playground/[^"]+)"', html):
        response = session.get(src)
        assert response.status_code == 200, src
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"http://" not in body.replace(b"http://www.w3.org", b"") and b"https://" not in body, src


# --- api-key and token ------------------------------------------------------------------

def test_api_key_returns_the_session_users_own_key_uncached(session, platform_key, other_user):
    services.platform_key_regenerate(user=other_user)
    response = session.get("/playground/api-key")
    assert response.json() == {"api_key": platform_key}
    assert response["Cache-Control"] == "no-store"


def test_api_key_is_an_empty_string_without_a_key(session):
    assert session.get("/playground/api-key").json() == {"api_key": ""}


def test_api_key_is_an_empty_string_after_revoking(session, user, platform_key):
    services.platform_key_revoke(user=user)
    assert session.get("/playground/api-key").json() == {"api_key": ""}


def test_undecryptable_key_is_a_clear_503_not_a_500(session, platform_key, settings):
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    response = session.get("/playground/api-key")
    assert response.status_code == 503
    assert "FERNET_KEYS" in response.json()["detail"]
    assert platform_key not in response.content.decode()


def test_token_is_a_working_bearer_token_for_the_session_user(session, anon, user, platform_key):
    response = session.get("/playground/token")
    assert response["Cache-Control"] == "no-store"
    assert response.json()["expires_in"] > 0
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    answer = anon.get("/api/v1/apikey/")
    assert answer.status_code == 200 and answer.json()["login_username"] == user.get_username()


# --- endpoints -------------------------------------------------------------------------

def test_endpoints_are_grouped_in_the_seven_categories(session):
    grouped = session.get("/playground/endpoints").json()
    assert list(grouped) == ["account", "orders", "data", "utilities", "websocket", "apikeys", "agents"]
    where = {(e["method"], e["path"]): category for category, entries in grouped.items() for e in entries}
    assert where[("POST", "/api/v1/ping")] == "utilities"
    assert where[("POST", "/api/v1/placeorder")] == "orders"
    assert where[("POST", "/api/v1/quotes")] == "data"
    assert where[("POST", "/api/v1/funds")] == "account"
    assert where[("POST", "/api/v1/api-keys/")] == "apikeys"
    assert where[("POST", "/api/v1/agents/news-analyst/")] == "agents"
    assert where[("WS", "/ws/")] == "websocket"
    assert all(e["method"] == "WS" for e in grouped["websocket"])
    assert not any(e["method"] == "WS" for c, entries in grouped.items() if c != "websocket" for e in entries)


def test_endpoint_entries_carry_body_params_description_and_auth(session):
    grouped = session.get("/playground/endpoints").json()
    ping = next(e for e in grouped["utilities"] if e["name"] == "Ping")
    assert set(ping) <= {"name", "method", "path", "body", "params", "description", "auth"}
    assert ping["body"] == {"apikey": ""} and ping["auth"] == "apikey" and "pong" in ping["description"]
    listing = next(e for e in grouped["apikeys"] if e["name"] == "List service keys")
    assert listing["params"] == {"include_inactive": "false"} and listing["auth"] == "bearer"
    auth = next(e for e in grouped["websocket"] if e["name"] == "Authenticate")
    assert auth["body"] == {"action": "authenticate", "apikey": ""} and auth["auth"] == "apikey"


def test_every_apikey_value_is_blanked_in_endpoints_and_collections(session, literal_key_collection):
    endpoints = session.get("/playground/endpoints")
    collections = session.get("/playground/collections")
    assert LITERAL_KEY not in endpoints.content.decode()
    assert LITERAL_KEY not in collections.content.decode()
    grouped = endpoints.json()
    ping = grouped["utilities"][0]
    assert ping["body"] == {"apikey": "", "x": [{"apikey": ""}]} and ping["params"] == {"apikey": ""}
    assert grouped["websocket"][0]["body"] == {"action": "authenticate", "apikey": ""}


@pytest.mark.parametrize("url", ["/playground/endpoints", "/playground/collections"])
def test_a_missing_collection_is_a_clear_503_not_a_500(session, settings, tmp_path, url):
    settings.PLAYGROUND_COLLECTION_DIR = str(tmp_path / "nowhere")
    response = session.get(url)
    assert response.status_code == 503
    assert response.json() == {"detail": "The API collection is not available on this server."}


def test_category_falls_back_to_the_path_outside_category_folders(literal_key_collection):
    collection = catalog.collection_load()
    assert [catalog.category_of(r) for r in collection.requests] == ["utilities", "websocket"]


# --- collections ----------------------------------------------------------------------

def test_collections_hold_the_bruno_json_and_a_postman_export(session):
    answer = session.get("/playground/collections").json()
    assert [c["type"] for c in answer] == ["bruno", "postman"]
    bruno_json, postman_json = answer[0]["data"], answer[1]["data"]
    folders = {item["name"]: item for item in bruno_json["items"]}
    assert {"account", "orders", "data", "utilities", "websocket", "apikeys", "agents"} <= set(folders)
    assert {i["type"] for i in folders["websocket"]["items"]} == {"ws-request"}
    assert bruno_json["environments"][0]["name"] == "local"
    secrets = {v["name"]: v["value"] for v in bruno_json["environments"][0]["variables"] if v["secret"]}
    assert set(secrets) >= {"apikey", "password", "token"} and set(secrets.values()) == {""}
    assert postman_json["info"]["schema"] == postman.SCHEMA_URL


def test_postman_export_is_valid_v2_1_with_every_http_request_and_no_websocket(session):
    data = session.get("/playground/collections").json()[1]["data"]
    jsonschema.validate(data, POSTMAN_V21)
    collection = catalog.collection_load()

    def leaves(items):
        for item in items:
            yield from leaves(item["item"]) if "item" in item else [item]

    exported = list(leaves(data["item"]))
    http = [r for r in collection.requests if r.kind == "http"]
    assert [i["name"] for i in exported] == [r.name for r in http]
    assert "WebSocket" in data["info"]["description"]
    ping = next(i for i in exported if i["name"] == "Ping")
    assert ping["request"]["url"]["raw"] == "{{base_url}}/api/v1/ping"
    assert json.loads(ping["request"]["body"]["raw"]) == {"apikey": "{{apikey}}"}
    vault = next(i for i in exported if i["name"] == "Create service key")
    assert vault["request"]["auth"] == {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}]}


def test_every_assertion_and_capture_of_the_collection_translates_to_postman():
    problems: list[str] = []
    data = postman.postman_collection(catalog.collection_load(), problems=problems)
    assert problems == []
    asserted = sum(len(r.assertions) for r in catalog.collection_load().requests if r.kind == "http")
    scripts = [line for f in data["item"] for i in f["item"] for e in i.get("event", []) for line in e["script"]["exec"]]
    assert sum(line.startswith("pm.test(") for line in scripts) == asserted


@pytest.mark.parametrize(
    ("lhs", "rhs", "expected"),
    [
        ("res.status", "eq 200", "pm.expect(pm.response.code).to.eql(200);"),
        ("res.body.data.message", "eq pong", 'pm.expect(pm.response.json().data.message).to.eql("pong");'),
        ("res.body[0].id", "eq {{vault_key_id}}",
         'pm.expect(pm.response.json()[0].id).to.eql(bruValue(pm.variables.replaceIn("{{vault_key_id}}")));'),
        ("res.body.ok", "eq true", "pm.expect(pm.response.json().ok).to.eql(true);"),
        ("res.body.s", 'eq "42"', 'pm.expect(pm.response.json().s).to.eql("42");'),
        ("res.body.mode", "in auto, semi_auto", 'pm.expect(pm.response.json().mode).to.be.oneOf(["auto", "semi_auto"]);'),
        ("res.body.key", "matches ^[0-9a-f]{64}$", 'pm.expect(String(pm.response.json().key)).to.match(new RegExp("^[0-9a-f]{64}$"));'),
        ("res.body.list", "isArray", "pm.expect(pm.response.json().list).to.be.an('array');"),
        ("res.body.asks", "length 5", "pm.expect(pm.response.json().asks).to.have.lengthOf(5);"),
    ],
)
def test_assertion_translation(lhs, rhs, expected):
    assert expected in postman.assertion_script(lhs, rhs)


@pytest.mark.parametrize("lhs", ["res.getStatus()", "res.headers.date", "res.status.code", "req.body"])
def test_untranslatable_assertions_are_refused(lhs):
    with pytest.raises(postman.Untranslatable):
        postman.assertion_script(lhs, "eq 1")


def test_each_group_lists_its_endpoints_in_the_order_a_person_uses_them(session):
    grouped = session.get("/playground/endpoints").json()
    names = {category: [e["name"] for e in entries] for category, entries in grouped.items()}
    assert names["orders"] == [
        "Place Order", "Place Limit Order", "Order Status", "Modify Order", "Cancel Order", "Cancel All Orders",
        "Place Smart Order", "Open Position", "Close All Positions", "Basket Order", "Split Order",
        "Options Order", "Options Multi Order", "Place GTT Order", "GTT Order Book", "Modify GTT Order", "Cancel GTT Order",
        "Strategy Webhook (TradingView)", "Strategy Webhook (ChartInk)", "Order mode: semi_auto",
        "Pending Orders (Action Center)", "Approve Pending Order", "Reject Pending Order", "Order mode: auto",
    ]
    assert names["account"][:4] == ["Funds", "Order Book", "Trade Book", "Position Book"]
    assert names["apikeys"][:5] == ["Show my platform key", "Regenerate platform key", "Revoke platform key",
                                    "List my platform keys", "Create a named platform key"]
    assert names["apikeys"][11] == "Revoke a platform key" and names["apikeys"][12] == "List service keys"
    assert names["apikeys"][-1] == "Delete service key"
    assert names["utilities"][0] == "Ping" and names["websocket"][0] == "Authenticate"


def test_the_display_order_names_only_files_of_the_collection_each_in_its_group():
    collection = catalog.collection_load()
    files = {r.file: catalog.category_of(r) for r in collection.requests}
    for category, order in catalog.DISPLAY_ORDER.items():
        assert len(set(order)) == len(order), category
        assert all(files.get(file) == category for file in order), category


def test_a_file_left_out_of_the_display_order_still_shows_after_the_ordered_ones(monkeypatch):
    collection = catalog.collection_load()
    monkeypatch.setitem(catalog.DISPLAY_ORDER, "orders", ("orders/cancelorder.bru",))
    orders = [e["name"] for e in catalog.endpoints_grouped(collection)["orders"]]
    run_order = [r.name for r in collection.requests if r.folder == "orders" and r.name != "Cancel Order"]
    assert orders == ["Cancel Order", *run_order]
