"""What the playground page lists: the collection's requests grouped by category, with
every ``apikey`` value blanked (the page fills in the signed-in user's own key).

Selectors only: they read ``collections/`` and shape it; nothing here writes.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings

from playground.bruno import BruRequest, Collection, load_collection

CATEGORIES = ("account", "orders", "data", "utilities", "websocket", "apikeys", "agents")
BLANKED_KEYS = frozenset({"apikey"})

# Requests outside a category folder are placed by their path, as OpenAlgo's playground does.
_PATH_CATEGORIES = (
    ("apikeys", ("/api/v1/api-keys", "/api/v1/apikey", "/api/v1/platform-keys")),
    ("agents", ("/api/v1/agents",)),
    ("account", ("/funds", "/orderbook", "/tradebook", "/positionbook", "/holdings", "/margin", "/analyzer",
                 "/api/v1/auth")),
    ("orders", ("/placeorder", "/cancelorder", "/orderstatus", "/pendingorders")),
    ("data", ("/quotes", "/depth")),
)


def collection_dir() -> Path:
    """``PLAYGROUND_COLLECTION_DIR`` (read at call time) or ``<project>/collections``."""
    configured = getattr(settings, "PLAYGROUND_COLLECTION_DIR", None)
    return Path(configured) if configured else Path(settings.BASE_DIR) / "collections"


def collection_load() -> Collection:
    return load_collection(collection_dir())


def blank_keys(value: Any) -> Any:
    """A copy of ``value`` with every ``apikey`` entry (at any depth) set to ``""``."""
    if isinstance(value, dict):
        return {k: ("" if k in BLANKED_KEYS else blank_keys(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_keys(v) for v in value]
    return value


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"\{\{[^{}]+\}\}", value.strip()))


def blank_literal_keys(value: Any) -> Any:
    """For the exported collections: keep ``{{apikey}}`` (it names a variable, not a
    key) and blank any literal ``apikey`` value."""
    if isinstance(value, dict):
        return {
            k: (v if _is_reference(v) else "") if k in BLANKED_KEYS else blank_literal_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [blank_literal_keys(v) for v in value]
    return value


def blank_url_keys(url: str) -> str:
    """``...?apikey=<literal>&x=1`` → ``...?apikey=&x=1``; ``{{apikey}}`` references stay."""

    def replace(match: re.Match) -> str:
        return match.group(0) if _is_reference(match.group(2)) else match.group(1)

    return re.sub(r"([?&]apikey=)([^&#]*)", replace, url)


def category_of(request: BruRequest) -> str:
    if request.kind == "ws":
        return "websocket"
    if request.folder in CATEGORIES:
        return request.folder
    path = request.path.lower()
    for category, fragments in _PATH_CATEGORIES:
        if any(fragment in path for fragment in fragments):
            return category
    return "utilities"


def auth_of(request: BruRequest) -> str:
    """How the page authenticates this request: ``apikey`` (in the body, query or
    message), ``bearer`` (a JWT for the session user) or ``none``."""
    if request.auth == "bearer":
        return "bearer"
    if "apikey" in request.query or (isinstance(request.body, dict) and "apikey" in request.body):
        return "apikey"
    return "none"


def endpoint_entry(request: BruRequest) -> dict:
    entry: dict[str, Any] = {"name": request.name, "method": request.method, "path": request.path}
    if request.kind == "ws":
        entry["body"] = blank_keys(request.messages[0])
    elif request.body is not None:
        entry["body"] = blank_keys(request.body)
    if request.query:
        entry["params"] = blank_keys(dict(request.query))
    description = request.description or request.docs
    if description:
        entry["description"] = description
    entry["auth"] = auth_of(request)
    return entry


# The order a person uses a group's endpoints in, by file: the collection's own order
# (meta seq) is the one Bruno's runner needs (create a key before reading it, switch the
# order mode back last). Files not named here follow, in the collection's order.
DISPLAY_ORDER: dict[str, tuple[str, ...]] = {
    "account": (
        "account/funds.bru", "account/orderbook.bru", "account/tradebook.bru", "account/positionbook.bru",
        "account/holdings.bru", "account/margin.bru", "account/analyzer.bru", "account/analyzer-toggle.bru",
        "account/pnl-symbols.bru",
        "account/obtain-token.bru", "account/refresh-token.bru", "account/blacklist-token.bru",
        "account/register.bru",
    ),
    "orders": (
        "orders/placeorder.bru", "orders/placeorder-limit.bru", "orders/orderstatus.bru", "orders/modifyorder.bru",
        "orders/cancelorder.bru", "orders/cancelallorder.bru", "orders/placesmartorder.bru",
        "orders/openposition.bru", "orders/closeposition.bru", "orders/basketorder.bru", "orders/splitorder.bru",
        "orders/optionsorder.bru", "orders/optionsmultiorder.bru",
        "orders/placegttorder.bru", "orders/gttorderbook.bru", "orders/modifygttorder.bru",
        "orders/cancelgttorder.bru", "orders/strategy-webhook.bru", "orders/chartink-webhook.bru",
        "orders/set-mode-semi-auto.bru", "orders/pendingorders.bru", "orders/approve-pending.bru",
        "orders/reject-pending.bru", "orders/set-mode-auto.bru",
    ),
    "utilities": (
        "utilities/ping.bru", "utilities/healthz.bru", "utilities/readyz.bru", "utilities/openapi-schema.bru",
    ),
    "websocket": (
        "websocket/authenticate.bru", "websocket/subscribe-ltp.bru", "websocket/subscribe-quote.bru",
        "websocket/subscribe-depth.bru", "websocket/unsubscribe.bru", "websocket/unsubscribe-all.bru",
        "websocket/subscribe-orders.bru", "websocket/unsubscribe-orders.bru", "websocket/ping.bru",
        "websocket/get-broker-info.bru", "websocket/get-supported-brokers.bru",
    ),
    "apikeys": (
        "apikeys/platform-key-get.bru", "apikeys/platform-key-regenerate.bru", "apikeys/platform-key-revoke.bru",
        "apikeys/platform-keys-list.bru", "apikeys/platform-keys-create.bru", "apikeys/platform-keys-get.bru",
        "apikeys/platform-keys-update.bru", "apikeys/platform-keys-reveal.bru", "apikeys/platform-keys-roll.bru",
        "apikeys/platform-keys-events.bru", "apikeys/platform-keys-usage.bru", "apikeys/platform-keys-revoke.bru",
        "apikeys/vault-list.bru", "apikeys/vault-get.bru", "apikeys/vault-create.bru", "apikeys/vault-update.bru",
        "apikeys/vault-replace.bru", "apikeys/vault-test-by-id.bru", "apikeys/vault-test-by-type.bru",
        "apikeys/vault-delete.bru",
    ),
}


def _display_rank(category: str, request: BruRequest) -> int:
    order = DISPLAY_ORDER.get(category, ())
    return order.index(request.file) if request.file in order else len(order)


def endpoints_grouped(collection: Collection | None = None) -> dict[str, list[dict]]:
    """The endpoints by category, each group in DISPLAY_ORDER."""
    collection = collection or collection_load()
    placed: dict[str, list[BruRequest]] = {category: [] for category in CATEGORIES}
    for request in collection.requests:
        placed[category_of(request)].append(request)
    return {
        category: [
            endpoint_entry(r) for r in sorted(requests, key=lambda r: _display_rank(category, r))  # stable
        ]
        for category, requests in placed.items()
    }


def bruno_export(collection: Collection | None = None) -> dict:
    """The collection as one JSON document in the shape Bruno's own export uses
    (folders of ``http-request`` / ``ws-request`` items), keys blanked."""
    collection = collection or collection_load()
    root: dict[str, Any] = {"items": []}
    folders: dict[str, dict] = {"": root}

    def folder_for(file: str) -> dict:
        parts = file.split("/")[:-1]
        node = root
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            if key not in folders:
                meta = collection.folders.get(key, {})
                folders[key] = {"type": "folder", "name": meta.get("name", parts[depth - 1]), "items": []}
                if meta.get("seq") is not None:
                    folders[key]["seq"] = meta["seq"]
                node["items"].append(folders[key])
            node = folders[key]
        return node

    for request in collection.requests:
        folder_for(request.file)["items"].append(_export_item(request))
    environments = [
        {"name": name, "variables": [
            {"name": k, "value": "" if k in env["secrets"] or k in BLANKED_KEYS else v, "enabled": True,
             "secret": k in env["secrets"], "type": "text"}
            for k, v in env["vars"].items()
        ]}
        for name, env in sorted(collection.environments.items())
    ]
    return {
        "name": collection.name, "version": "1", "items": root["items"], "environments": environments,
        "brunoConfig": collection.config,
    }


def _export_item(request: BruRequest) -> dict:
    item: dict[str, Any] = {
        "type": "ws-request" if request.kind == "ws" else "http-request",
        "name": request.name,
        "filename": request.file.rsplit("/", 1)[-1],
        "request": {
            "url": blank_url_keys(request.url),
            "method": request.method,
            "headers": [{"name": k, "value": v, "enabled": True} for k, v in request.headers.items()],
            "params": [
                {"name": k, "value": "" if k in BLANKED_KEYS and not _is_reference(v) else v, "type": "query",
                 "enabled": True}
                for k, v in request.query.items()
            ],
            "auth": {"mode": request.auth},
            "assertions": [{"name": k, "value": v, "enabled": True} for k, v in request.assertions],
            "vars": {"res": [{"name": k, "value": v, "enabled": True} for k, v in request.post_response_vars.items()]},
            "tests": request.tests,
            "docs": request.docs,
        },
    }
    if request.seq is not None:
        item["seq"] = request.seq
    if request.kind == "ws":
        item["request"]["body"] = {"mode": "ws", "ws": [
            {"name": f"message {n}", "type": "json", "content": _dumps(blank_literal_keys(m))}
            for n, m in enumerate(request.messages, start=1)
        ]}
    elif request.body_mode == "json":
        item["request"]["body"] = {"mode": "json", "json": _dumps(blank_literal_keys(request.body))}
    else:
        item["request"]["body"] = {"mode": request.body_mode}
    if request.auth == "bearer":
        item["request"]["auth"]["bearer"] = {"token": request.bearer_token or ""}
    return item


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2) if not isinstance(value, str) else value
