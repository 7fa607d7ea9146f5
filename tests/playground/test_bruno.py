"""The `.bru` reader: blocks, requests in both WebSocket spellings, bad files skipped."""
from __future__ import annotations

import json
import logging

import pytest

from playground import bruno
from playground.bruno import BruParseError, load_collection, parse_request

HTTP_FILE = """meta {
  name: Place Order
  type: http
  seq: 3
}

post {
  url: {{base_url}}/api/v1/placeorder?from=url
  body: json
  auth: none
}

params:query {
  strategy: Python
  ~disabled: yes
}

headers {
  X-Trace: abc
}

body:json {
  {
    "apikey": "{{apikey}}",
    "symbol": "NHPC",
    "quantity": "1",
    "nested": {"apikey": "deep"}
  }
}

vars:post-response {
  orderid: res.body.orderid
}

assert {
  res.status: eq 200
  res.body.data[0].x: isDefined
}

tests {
  test("ok", function() {
    expect(res.getStatus()).to.equal(200);
  });
}

docs {
  Places an order.

    Indented example stays indented.
}
"""

OPENALGO_WS = """meta {
  name: WebSocket Authenticate
  type: websocket
  seq: 40
}

websocket {
  url: ws://127.0.0.1:8765
  description: Authenticate with the WebSocket server using API key
}

message:json {
  {
    "action": "authenticate",
    "apikey": ""
  }
}

docs {
  Authentication is required before subscribing.
}
"""

BRUNO_WS = """meta {
  name: Subscribe
  type: ws
  seq: 2
}

ws {
  url: {{ws_url}}/ws/
  body: ws
  auth: none
}

body:ws {
  name: message 1
  type: json
  content: '''
    {
      "action": "subscribe",
      "symbol": "RELIANCE",
      "exchange": "NSE",
      "mode": 1
    }
  '''
}
"""


def test_http_request_meta_method_url_and_path():
    request = parse_request(HTTP_FILE, file="orders/placeorder.bru")
    assert (request.name, request.kind, request.seq, request.method) == ("Place Order", "http", 3, "POST")
    assert request.url == "{{base_url}}/api/v1/placeorder?from=url"
    assert request.path == "/api/v1/placeorder"
    assert request.folder == "orders" and request.auth == "none"


def test_body_json_is_parsed_as_json():
    body = parse_request(HTTP_FILE).body
    assert body == {"apikey": "{{apikey}}", "symbol": "NHPC", "quantity": "1", "nested": {"apikey": "deep"}}


def test_query_params_merge_url_and_block_and_skip_disabled_lines():
    request = parse_request(HTTP_FILE)
    assert request.query == {"from": "url", "strategy": "Python"}
    assert request.headers == {"X-Trace": "abc"}


def test_assert_vars_tests_and_docs_blocks():
    request = parse_request(HTTP_FILE)
    assert request.assertions == (("res.status", "eq 200"), ("res.body.data[0].x", "isDefined"))
    assert request.post_response_vars == {"orderid": "res.body.orderid"}
    assert request.tests.startswith('test("ok", function() {\n  expect(')
    assert request.docs == "Places an order.\n\n  Indented example stays indented."


def test_openalgo_websocket_block_and_message_json():
    request = parse_request(OPENALGO_WS, file="ws/auth.bru")
    assert (request.kind, request.method, request.seq) == ("ws", "WS", 40)
    assert request.url == "ws://127.0.0.1:8765" and request.path == "/"
    assert request.messages == ({"action": "authenticate", "apikey": ""},)
    assert request.description == "Authenticate with the WebSocket server using API key"
    assert request.docs == "Authentication is required before subscribing."


def test_bruno_native_websocket_body_ws_multiline_content():
    request = parse_request(BRUNO_WS)
    assert request.kind == "ws" and request.path == "/ws/"
    assert request.messages == ({"action": "subscribe", "symbol": "RELIANCE", "exchange": "NSE", "mode": 1},)


def test_several_messages_in_one_websocket_file():
    text = OPENALGO_WS.replace("docs {", 'message:json {\n  {"action": "ping"}\n}\n\ndocs {')
    assert parse_request(text).messages == ({"action": "authenticate", "apikey": ""}, {"action": "ping"})


def test_single_line_triple_quoted_value():
    text = "meta {\n  name: P\n  type: ws\n}\n\nws {\n  url: ws://h/\n}\n\nbody:ws {\n  content: '''{\"action\": \"ping\"}'''\n}\n"
    assert parse_request(text).messages == ({"action": "ping"},)


def test_carriage_return_line_endings_are_read():
    assert parse_request(HTTP_FILE.replace("\n", "\r\n")).body["symbol"] == "NHPC"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no meta block"),
        ("meta {\n  type: http\n}\n\nget {\n  url: /x\n}\n", "no meta block with a name"),
        ("meta {\n  name: A\n}\n\nget {\n  url: /x\n}\n\npost {\n  url: /y\n}\n", "exactly one of"),
        ("meta {\n  name: A\n}\n", "exactly one of"),
        ("meta {\n  name: A\n}\n\nget {\n  body: none\n}\n", "has no url"),
        ("meta {\n  name: A\n}\n\nget {\n  url: /x\n", "never closed"),
        ("meta {\n  name: A\n}\nthis is not a block\n", "expected a block"),
        ("meta {\n  name: A\n}\n\npost {\n  url: /x\n  body: json\n}\n\nbody:json {\n  {\"a\": }\n}\n", "not valid JSON"),
        ("meta {\n  name: A\n}\n\npost {\n  url: /x\n  body: json\n}\n", "no body:json block"),
        ("meta {\n  name: A\n  seq: first\n}\n\nget {\n  url: /x\n}\n", "whole number"),
        ("meta {\n  name: A\n  type: grpc\n}\n\ngrpc {\n  url: x\n}\n", "unsupported request type"),
        ("meta {\n  name: A\n  type: ws\n}\n\nws {\n  url: ws://h/\n}\n", "at least one message"),
        ("meta {\n  name: A\n  type: websocket\n}\n\nmessage:json {\n  {}\n}\n", "needs a ws"),
        ("meta {\n  name: A\n}\n\nget {\n  url\n}\n", "expected 'key: value'"),
        ("meta {\n  name: A\n}\n\nget {\n  url: '''\n  never closed\n}\n", "never closed"),
        ("meta {\n  name: A\n}\n\nmeta {\n  name: B\n}\n", "appears twice"),
    ],
)
def test_unusable_files_raise_a_parse_error_naming_the_problem(text, reason):
    with pytest.raises(BruParseError, match=reason):
        parse_request(text)


def test_oversized_file_is_refused():
    with pytest.raises(BruParseError, match="larger than"):
        parse_request(HTTP_FILE + "docs2 {\n" + "  x\n" * (bruno.MAX_FILE_BYTES // 4) + "}\n")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("{{base_url}}/api/v1/ping", "/api/v1/ping"),
        ("http://127.0.0.1:5000/api/v1/ping?apikey=x", "/api/v1/ping"),
        ("https://example.com", "/"),
        ("ws://127.0.0.1:8765", "/"),
        ("{{ws_url}}/ws/", "/ws/"),
        ("/api/v1/api-keys/{{id}}#frag", "/api/v1/api-keys/{{id}}"),
    ],
)
def test_url_path(url, path):
    assert bruno.url_path(url) == path


def test_substitute_known_variables_and_keep_or_default_the_rest():
    assert bruno.substitute("/a/{{id}}/{{ other }}", {"id": "7"}) == "/a/7/{{ other }}"
    assert bruno.substitute("/a/{{id}}/{{other}}", {"id": "7"}, default="1") == "/a/7/1"


def test_environment_file_vars_and_secret_names():
    env = bruno.parse_environment("vars {\n  base_url: http://h:1\n}\nvars:secret [\n  apikey,\n  token\n]\n")
    assert env == {"vars": {"base_url": "http://h:1", "apikey": "", "token": ""}, "secrets": ["apikey", "token"]}


def _collection(tmp_path, files: dict[str, str]):
    (tmp_path / "bruno.json").write_text(json.dumps({"version": "1", "name": "T", "type": "collection"}))
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_collection_skips_bad_files_with_a_logged_warning_and_keeps_the_rest(tmp_path, caplog):
    root = _collection(tmp_path, {
        "utilities/ping.bru": HTTP_FILE,
        "utilities/broken.bru": "meta {\n  name: Broken\n",
        "websocket/auth.bru": OPENALGO_WS,
    })
    with caplog.at_level(logging.WARNING, logger="playground.bruno"):
        collection = load_collection(root)
    assert [r.name for r in collection.requests] == ["Place Order", "WebSocket Authenticate"]
    assert collection.skipped[0][0] == "utilities/broken.bru"
    assert any("utilities/broken.bru" in r.getMessage() and "never closed" in r.getMessage() for r in caplog.records)


def test_collection_reads_folders_environments_and_orders_like_bruno(tmp_path):
    def request(name, seq):
        return f"meta {{\n  name: {name}\n  seq: {seq}\n}}\n\nget {{\n  url: /x\n}}\n"

    root = _collection(tmp_path, {
        "b/folder.bru": "meta {\n  name: B folder\n  seq: 1\n}\n",
        "a/folder.bru": "meta {\n  name: A folder\n  seq: 2\n}\n",
        "a/two.bru": request("a2", 2),
        "a/one.bru": request("a1", 1),
        "a/sub/folder.bru": "meta {\n  name: sub\n  seq: 1\n}\n",
        "a/sub/s.bru": request("sub1", 9),
        "b/only.bru": request("b1", 5),
        "environments/local.bru": "vars {\n  base_url: http://h\n}\n",
        "node_modules/x/ignored.bru": "garbage",
    })
    collection = load_collection(root)
    # folders by seq; inside a folder its subfolders first, then its requests by seq
    assert [r.name for r in collection.requests] == ["b1", "sub1", "a1", "a2"]
    assert collection.folders["a"] == {"name": "A folder", "seq": 2}
    assert collection.environments["local"]["vars"] == {"base_url": "http://h"}
    assert collection.skipped == []


def test_a_directory_without_bruno_json_is_not_a_collection(tmp_path):
    with pytest.raises(BruParseError, match="not a Bruno collection"):
        load_collection(tmp_path)
