"""A Postman v2.1 collection generated from the parsed Bruno collection, never kept by hand.

Bruno's declarative parts carry over: ``assert`` lines become ``pm.test`` checks and
``vars:post-response`` lines become variable captures, so newman runs the same checks
as the Bruno CLI. WebSocket requests have no place in the v2.1 format and are left out
(the description says so). Free-form ``tests`` scripts are Bruno JavaScript and are not
translated; the collection's checks live in ``assert`` blocks for that reason.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from playground.bruno import BruRequest, Collection, url_query
from playground.catalog import blank_literal_keys, blank_url_keys, collection_load

logger = logging.getLogger(__name__)

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
_NAMESPACE = uuid.UUID("5f0c7c1e-4b8e-4f53-9a51-6b3f2f0c9b21")

# res.status / res.body.a.b[0]["c"] → a Postman expression
_LHS = re.compile(r"^res\.(status|body)((?:\.[A-Za-z_$][\w$]*|\[\d+\]|\[\"[^\"\\]+\"\])*)$")
_UNARY = {
    "isDefined": "pm.expect({lhs}).to.not.be.undefined;",
    "isUndefined": "pm.expect({lhs}).to.be.undefined;",
    "isNull": "pm.expect({lhs}).to.be.null;",
    "isString": "pm.expect({lhs}).to.be.a('string');",
    "isNumber": "pm.expect({lhs}).to.be.a('number');",
    "isBoolean": "pm.expect({lhs}).to.be.a('boolean');",
    "isArray": "pm.expect({lhs}).to.be.an('array');",
    "isEmpty": "pm.expect({lhs}).to.be.empty;",
    "isNotEmpty": "pm.expect({lhs}).to.not.be.empty;",
    "isTruthy": "pm.expect({lhs}).to.be.true;",  # Bruno's isTruthy is chai's to.be.true
    "isFalsy": "pm.expect({lhs}).to.be.false;",
}
_BINARY = {
    "eq": "pm.expect({lhs}).to.eql({rhs});",
    "neq": "pm.expect({lhs}).to.not.eql({rhs});",
    "gt": "pm.expect({lhs}).to.be.above({rhs});",
    "gte": "pm.expect({lhs}).to.be.at.least({rhs});",
    "lt": "pm.expect({lhs}).to.be.below({rhs});",
    "lte": "pm.expect({lhs}).to.be.at.most({rhs});",
    "contains": "pm.expect({lhs}).to.include({rhs});",
    "notContains": "pm.expect({lhs}).to.not.include({rhs});",
    "length": "pm.expect({lhs}).to.have.lengthOf({rhs});",
    "startsWith": "pm.expect(String({lhs}).startsWith({rhs})).to.be.true;",
    "endsWith": "pm.expect(String({lhs}).endsWith({rhs})).to.be.true;",
    "matches": "pm.expect(String({lhs})).to.match(new RegExp({rhs}));",
}
_LIST = {
    "in": "pm.expect({lhs}).to.be.oneOf({rhs});",
    "notIn": "pm.expect({lhs}).to.not.be.oneOf({rhs});",
}


class Untranslatable(ValueError):
    pass


def _lhs(expression: str) -> str:
    match = _LHS.match(expression.strip())
    if not match:
        raise Untranslatable(f"left side {expression!r}: only res.status and res.body... are translated")
    base = "pm.response.code" if match.group(1) == "status" else "pm.response.json()"
    if match.group(1) == "status" and match.group(2):
        raise Untranslatable(f"left side {expression!r}")
    return base + match.group(2)


# Bruno interpolates {{variables}} first, then reads the text as a literal (true, 42,
# "quoted"...). The generated scripts do the same at run time with this helper.
_READ_LITERAL = (
    "function bruValue(t) { t = String(t).trim(); if (t === 'true') return true; if (t === 'false') return false; "
    "if (t === 'null') return null; if (t === 'undefined') return undefined; "
    "if (t.length > 1 && (t[0] === '\"' || t[0] === \"'\") && t[t.length - 1] === t[0]) return t.slice(1, -1); "
    "if (t !== '' && !isNaN(t) && Math.abs(Number(t)) <= Number.MAX_SAFE_INTEGER) return Number(t); return t; }"
)


def _value(text: str) -> str:
    """A Bruno right-hand operand as a JavaScript expression, read the way Bruno reads it."""
    text = text.strip()
    if "{{" in text:
        return f"bruValue(pm.variables.replaceIn({json.dumps(text)}))"
    if text in ("true", "false", "null", "undefined"):
        return text
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return json.dumps(text[1:-1])
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and number == number and abs(number) <= 2**53:
        return text
    return json.dumps(text)


def assertion_script(lhs: str, rhs: str) -> str:
    """One Bruno ``assert`` line as a ``pm.test`` call; raises Untranslatable."""
    operator, _, operand = rhs.strip().partition(" ")
    left = _lhs(lhs)
    if operator in _UNARY:
        check = _UNARY[operator].format(lhs=left)
    elif operator in _BINARY:
        right = operand.strip()
        if operator in ("matches",):
            right = right[1:-1] if len(right) >= 2 and right[0] == right[-1] == "/" else right
            right = json.dumps(right)
        else:
            right = _value(right)
        check = _BINARY[operator].format(lhs=left, rhs=right)
    elif operator in _LIST:
        items = operand.strip()
        if items.startswith("[") and items.endswith("]"):
            items = items[1:-1]
        check = _LIST[operator].format(lhs=left, rhs="[" + ", ".join(_value(v) for v in items.split(",")) + "]")
    else:  # Bruno: no operator means eq
        check = _BINARY["eq"].format(lhs=left, rhs=_value(rhs))
    title = json.dumps(f"{lhs}: {rhs.strip()}")
    return f"pm.test({title}, function () {{ {check} }});"


def capture_script(name: str, expression: str) -> str:
    """A ``vars:post-response`` line: kept for the rest of the run (local scope, which
    outranks environment values given on the command line) and in the collection."""
    value = _lhs(expression)
    key = json.dumps(name)
    return f"(function () {{ var v = {value}; pm.variables.set({key}, v); pm.collectionVariables.set({key}, v); }})();"


def _test_lines(request: BruRequest, problems: list[str]) -> list[str]:
    lines: list[str] = [_READ_LITERAL] if any("{{" in rhs for _, rhs in request.assertions) else []
    for lhs, rhs in request.assertions:
        try:
            lines.append(assertion_script(lhs, rhs))
        except Untranslatable as exc:
            problems.append(f"{request.file}: {exc}")
    for name, expression in request.post_response_vars.items():
        try:
            lines.append(capture_script(name, expression))
        except Untranslatable as exc:
            problems.append(f"{request.file}: {exc}")
    return lines


def _url(request: BruRequest) -> dict:
    raw = blank_url_keys(request.url)
    query = {k: v for k, v in blank_literal_keys(dict(request.query)).items()}
    base = raw.split("?", 1)[0]
    if query != url_query(raw):  # params:query lines join the URL, as Bruno sends them
        raw = base + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    url: dict[str, Any] = {"raw": raw}
    host_match = re.match(r"^(\{\{[^{}]+\}\})(.*)$", base)
    if host_match:
        url["host"] = [host_match.group(1)]
        path = host_match.group(2)
    else:
        scheme, _, rest = base.partition("://")
        host, _, path = rest.partition("/")
        path = "/" + path
        url["protocol"] = scheme
        hostname, _, port = host.partition(":")
        url["host"] = hostname.split(".")
        if port:
            url["port"] = port
    # a trailing slash is an empty last segment, as Postman writes it
    url["path"] = path.lstrip("/").split("/") if path.strip("/") else []
    if query:
        url["query"] = [{"key": k, "value": v} for k, v in query.items()]
    return url


def _item(request: BruRequest, problems: list[str]) -> dict:
    headers = [{"key": k, "value": v, "type": "text"} for k, v in request.headers.items()]
    body = None
    if request.body_mode == "json" and request.body is not None:
        if not any(h["key"].lower() == "content-type" for h in headers):
            headers.append({"key": "Content-Type", "value": "application/json", "type": "text"})
        body = {"mode": "raw", "raw": json.dumps(blank_literal_keys(request.body), indent=2),
                "options": {"raw": {"language": "json"}}}
    postman_request: dict[str, Any] = {"method": request.method, "header": headers, "url": _url(request)}
    if body:
        postman_request["body"] = body
    if request.auth == "bearer":
        postman_request["auth"] = {"type": "bearer", "bearer": [
            {"key": "token", "value": request.bearer_token or "{{token}}", "type": "string"}
        ]}
    elif request.auth == "none":
        postman_request["auth"] = {"type": "noauth"}
    if request.docs:
        postman_request["description"] = request.docs
    item: dict[str, Any] = {"name": request.name, "request": postman_request}
    lines = _test_lines(request, problems)
    if lines:
        item["event"] = [{"listen": "test", "script": {"type": "text/javascript", "exec": lines}}]
    return item


def postman_collection(collection: Collection | None = None, *, problems: list[str] | None = None) -> dict:
    """The v2.1 document. ``problems`` (if given) receives what could not be translated."""
    collection = collection or collection_load()
    problems = problems if problems is not None else []
    root: dict[str, Any] = {"item": []}
    folders: dict[str, dict] = {"": root}
    for request in collection.requests:
        if request.kind != "http":
            continue
        parts = request.file.split("/")[:-1]
        node = root
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            if key not in folders:
                name = collection.folders.get(key, {}).get("name", parts[depth - 1])
                folders[key] = {"name": name, "item": []}
                node["item"].append(folders[key])
            node = folders[key]
        node["item"].append(_item(request, problems))
    for problem in problems:
        logger.warning("Postman export: %s", problem)
    environment = collection.environments.get("local") or next(iter(collection.environments.values()), None)
    variables = []
    if environment:
        for name, value in environment["vars"].items():
            secret = name in environment["secrets"]
            variables.append({"key": name, "value": "" if secret else value, "type": "secret" if secret else "string"})
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(_NAMESPACE, collection.name)),
            "name": collection.name,
            "description": (
                f"Generated from the Bruno collection `{collection.name}` (collections/*.bru); do not edit by hand. "
                "WebSocket requests are not part of the Postman v2.1 format: use the Bruno collection or the "
                "playground for those."
            ),
            "schema": SCHEMA_URL,
        },
        "item": root["item"],
        "variable": variables,
    }
