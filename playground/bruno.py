"""A small reader for Bruno `.bru` files and collections.

The playground, its JSON endpoints and the generated Postman collection are all built
from one parse of ``collections/``, so the `.bru` files stay the only thing anyone edits.

The format: top-level blocks ``name { ... }``. Dictionary blocks hold ``key: value``
lines (``~key`` is disabled, ``'''`` opens a multi-line value); text blocks
(``body:json``, ``docs``, ``tests``, ``message:json``...) hold raw text indented by two
spaces; list blocks ``name [ ... ]`` hold names. A block ends at a ``}`` (or ``]``) alone
at the start of a line. WebSocket requests come in two spellings, both read: Bruno's own
(``meta { type: ws }``, ``ws { url }``, ``body:ws { content: '''...''' }``) and OpenAlgo's
(``meta { type: websocket }``, ``websocket { url }``, ``message:json { ... }``).

A file that does not parse is skipped with a logged warning; the rest of the collection
still loads.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

HTTP_METHODS = ("get", "post", "put", "delete", "patch", "options", "head")
TEXT_BLOCKS = frozenset({
    "body", "body:json", "body:text", "body:xml", "body:sparql", "body:graphql", "body:graphql:vars",
    "script:pre-request", "script:post-response", "tests", "docs", "message:json", "message:text", "example",
})
REPEATABLE_BLOCKS = frozenset({"body:ws", "message:json", "message:text", "example"})
MAX_FILE_BYTES = 256 * 1024
_BLOCK_START = re.compile(r"^([A-Za-z][A-Za-z0-9_:\-]*)\s*([{\[])\s*$")
_VARIABLE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_SCHEME_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://[^/?#]*")


class BruParseError(ValueError):
    """The text is not a `.bru` file we can use; the message says where and why."""


@dataclass(frozen=True)
class Block:
    name: str
    kind: str  # "dict" | "text" | "list"
    pairs: tuple[tuple[str, str, bool], ...] = ()  # (key, value, enabled) for dict blocks
    text: str = ""
    items: tuple[str, ...] = ()

    def as_dict(self, *, enabled_only: bool = True) -> dict[str, str]:
        return {k: v for k, v, on in self.pairs if on or not enabled_only}


@dataclass(frozen=True)
class BruRequest:
    """One request of the collection: an HTTP call or a WebSocket message template."""

    name: str
    kind: str  # "http" | "ws"
    method: str  # GET/POST/... or "WS"
    url: str
    seq: int | None = None
    auth: str = "none"  # none | bearer | inherit | ...
    bearer_token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body_mode: str = "none"
    body: Any = None  # parsed JSON of body:json, or the raw text of another body
    messages: tuple[Any, ...] = ()  # WebSocket messages (parsed JSON where the type is json)
    assertions: tuple[tuple[str, str], ...] = ()
    post_response_vars: dict[str, str] = field(default_factory=dict)
    tests: str = ""
    docs: str = ""
    description: str = ""
    file: str = ""  # path inside the collection, with forward slashes
    folder: str = ""  # first directory of ``file`` ("" at the root)

    @property
    def path(self) -> str:
        """The URL path without scheme, host or a leading ``{{base_url}}`` variable."""
        return url_path(self.url)


@dataclass
class Collection:
    name: str
    root: Path
    config: dict
    requests: list[BruRequest]
    folders: dict[str, dict]  # folder name -> {"name": display name, "seq": int|None}
    environments: dict[str, dict]  # env name -> {"vars": {...}, "secrets": [...]}
    skipped: list[tuple[str, str]]  # (file, reason)


# --- block level -------------------------------------------------------------------------

def parse_blocks(text: str) -> list[Block]:
    """Split a `.bru` text into its top-level blocks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        match = _BLOCK_START.match(line.rstrip())
        if not match:
            raise BruParseError(f"line {i + 1}: expected a block like 'name {{', got {line.strip()[:60]!r}")
        name, opener = match.group(1), match.group(2)
        closer = "}" if opener == "{" else "]"
        start = i + 1
        end = start
        while end < len(lines) and lines[end].rstrip() != closer:
            end += 1
        if end >= len(lines):
            raise BruParseError(f"line {i + 1}: block {name!r} is never closed with {closer!r} at the start of a line")
        body = lines[start:end]
        if opener == "[":
            blocks.append(Block(name, "list", items=_list_items(body)))
        elif name in TEXT_BLOCKS:
            blocks.append(Block(name, "text", text=_outdent(body)))
        else:
            blocks.append(Block(name, "dict", pairs=_pairs(body, first_line=start + 1)))
        i = end + 1
    return blocks


def _outdent(lines: list[str]) -> str:
    """Drop the two-space indentation Bruno writes inside text blocks."""
    return "\n".join(line[2:] if line.startswith("  ") else line.lstrip() for line in lines).strip("\n")


def _list_items(lines: list[str]) -> tuple[str, ...]:
    items = []
    for line in lines:
        for part in line.split(","):
            if part.strip():
                items.append(part.strip())
    return tuple(items)


def _pairs(lines: list[str], *, first_line: int) -> tuple[tuple[str, str, bool], ...]:
    pairs: list[tuple[str, str, bool]] = []
    i = 0
    while i < len(lines):
        raw = lines[i].strip()
        i += 1
        if not raw or raw.startswith("@"):  # blank or an annotation line
            continue
        key, sep, value = raw.partition(":")
        if not sep:
            raise BruParseError(f"line {first_line + i - 1}: expected 'key: value', got {raw[:60]!r}")
        key, value = key.strip(), value.strip()
        enabled = not key.startswith("~")
        key = key.lstrip("~")
        if len(key) >= 2 and key[0] == key[-1] == '"':
            key = key[1:-1].replace('\\"', '"')
        if value.startswith("'''"):
            rest = value[3:]
            if rest.rstrip().endswith("'''") and rest.strip() != "":
                value = rest.rstrip()[:-3]
            else:
                chunk: list[str] = [rest] if rest.strip() else []
                while i < len(lines) and not lines[i].strip().startswith("'''"):
                    chunk.append(lines[i])
                    i += 1
                if i >= len(lines):
                    raise BruParseError(f"line {first_line + i - 1}: multi-line value of {key!r} never closed with '''")
                i += 1
                value = _dedent(chunk)
        if not key:
            raise BruParseError(f"line {first_line + i - 1}: empty key")
        pairs.append((key, value, enabled))
    return tuple(pairs)


def _dedent(lines: list[str]) -> str:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines).strip("\n")


# --- request level -----------------------------------------------------------------------

def url_path(url: str) -> str:
    """``{{base_url}}/api/v1/ping?x=1`` or ``http://h:1/api/v1/ping`` → ``/api/v1/ping``."""
    rest = url.strip()
    variable = re.match(r"^\{\{[^{}]+\}\}", rest)
    if variable:
        rest = rest[variable.end():]
    else:
        rest = _SCHEME_HOST.sub("", rest)
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    return rest if rest.startswith("/") else "/" + rest


def url_query(url: str) -> dict[str, str]:
    if "?" not in url:
        return {}
    query = url.split("?", 1)[1].split("#", 1)[0]
    params = {}
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            params[key] = value
    return params


def substitute(text: str, variables: dict[str, str], *, default: str | None = None) -> str:
    """Replace ``{{name}}`` by ``variables[name]`` (or ``default``; unknown names stay)."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name in variables:
            return str(variables[name])
        return default if default is not None else match.group(0)

    return _VARIABLE.sub(replace, text)


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BruParseError(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno})") from None


def _seq(meta: dict[str, str]) -> int | None:
    raw = meta.get("seq", "").strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        raise BruParseError(f"meta seq must be a whole number, got {raw[:20]!r}") from None


def parse_request(text: str, *, file: str = "") -> BruRequest:
    """Read one request `.bru` text; raises BruParseError when it is not usable."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise BruParseError(f"file larger than {MAX_FILE_BYTES} bytes")
    blocks = parse_blocks(text)
    by_name: dict[str, Block] = {}
    for block in blocks:
        if block.name in by_name and block.name not in REPEATABLE_BLOCKS:
            raise BruParseError(f"block {block.name!r} appears twice")
        by_name.setdefault(block.name, block)
    meta = by_name.get("meta")
    if meta is None or not meta.as_dict().get("name"):
        raise BruParseError("no meta block with a name")
    meta_d = meta.as_dict()
    declared = meta_d.get("type", "http").strip().lower()
    folder = file.split("/", 1)[0] if "/" in file else ""
    common: dict[str, Any] = dict(
        name=meta_d["name"].strip(), seq=_seq(meta_d), file=file, folder=folder,
        docs=by_name["docs"].text if "docs" in by_name else "",
        tests=by_name["tests"].text if "tests" in by_name else "",
        assertions=tuple((k, v) for k, v, on in by_name["assert"].pairs if on) if "assert" in by_name else (),
        post_response_vars=by_name["vars:post-response"].as_dict() if "vars:post-response" in by_name else {},
    )
    if declared in ("ws", "websocket"):
        return _websocket_request(blocks, by_name, common)
    if declared not in ("http", "graphql"):
        raise BruParseError(f"unsupported request type {declared!r}")
    methods = [name for name in HTTP_METHODS if name in by_name]
    if len(methods) != 1:
        raise BruParseError("an HTTP request needs exactly one of " + "/".join(HTTP_METHODS) + " blocks")
    call = by_name[methods[0]].as_dict()
    url = call.get("url", "").strip()
    if not url:
        raise BruParseError(f"{methods[0]} block has no url")
    query = url_query(url)
    if "params:query" in by_name:
        query.update(by_name["params:query"].as_dict())
    body_mode = call.get("body", "none").strip() or "none"
    body: Any = None
    if body_mode == "json":
        if "body:json" not in by_name:
            raise BruParseError("body: json declared but there is no body:json block")
        raw = by_name["body:json"].text
        body = _json(raw, "body:json") if raw.strip() else None
    elif f"body:{body_mode}" in by_name:
        body = by_name[f"body:{body_mode}"].text
    auth = call.get("auth", "none").strip() or "none"
    token = by_name["auth:bearer"].as_dict().get("token") if "auth:bearer" in by_name else None
    return BruRequest(
        kind="http", method=methods[0].upper(), url=url, auth=auth, bearer_token=token,
        headers=by_name["headers"].as_dict() if "headers" in by_name else {},
        query=query, body_mode=body_mode, body=body, description=call.get("description", "").strip(),
        **common,
    )


def _websocket_request(blocks: list[Block], by_name: dict[str, Block], common: dict) -> BruRequest:
    socket = by_name.get("ws") or by_name.get("websocket")
    if socket is None:
        raise BruParseError("a WebSocket request needs a ws (or websocket) block")
    settings = socket.as_dict()
    url = settings.get("url", "").strip()
    if not url:
        raise BruParseError("WebSocket block has no url")
    messages: list[Any] = []
    for block in blocks:
        if block.name == "message:json":
            messages.append(_json(block.text, "message:json"))
        elif block.name == "message:text":
            messages.append(block.text)
        elif block.name == "body:ws":
            entry = block.as_dict()
            content = entry.get("content", "")
            if entry.get("type", "json").strip().lower() == "json":
                messages.append(_json(content, f"body:ws message {entry.get('name', '')!r}"))
            else:
                messages.append(content)
    if not messages:
        raise BruParseError("a WebSocket request needs at least one message (message:json or body:ws)")
    return BruRequest(
        kind="ws", method="WS", url=url, auth=settings.get("auth", "none").strip() or "none",
        messages=tuple(messages), body=messages[0], body_mode="json",
        description=settings.get("description", "").strip(), **common,
    )


def parse_environment(text: str) -> dict:
    """``vars { k: v }`` and ``vars:secret [ k ]`` of an environment file."""
    vars_: dict[str, str] = {}
    secrets: list[str] = []
    for block in parse_blocks(text):
        if block.name == "vars":
            vars_.update(block.as_dict())
        elif block.name == "vars:secret":
            secrets.extend(block.items)
        else:
            raise BruParseError(f"unexpected block {block.name!r} in an environment file")
    for name in secrets:
        vars_.setdefault(name, "")
    return {"vars": vars_, "secrets": secrets}


# --- collection level --------------------------------------------------------------------

def load_collection(root: Path) -> Collection:
    """Read ``bruno.json``, ``environments/*.bru``, ``folder.bru`` files and every request."""
    root = Path(root)
    config_path = root / "bruno.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BruParseError(f"{config_path}: not a Bruno collection ({exc})") from None
    if not isinstance(config, dict):
        raise BruParseError(f"{config_path}: must hold a JSON object")
    ignore = set(config.get("ignore") or []) | {"node_modules", ".git"}
    requests: list[BruRequest] = []
    folders: dict[str, dict] = {}
    environments: dict[str, dict] = {}
    skipped: list[tuple[str, str]] = []

    for path in sorted(root.rglob("*.bru")):
        relative = path.relative_to(root).as_posix()
        parts = relative.split("/")
        if any(part in ignore for part in parts[:-1]):
            continue
        try:
            text = path.read_text(encoding="utf-8")
            if parts[0] == "environments" and len(parts) == 2:
                environments[path.stem] = parse_environment(text)
            elif parts[-1] == "folder.bru":
                meta = next((b for b in parse_blocks(text) if b.name == "meta"), None)
                meta_d = meta.as_dict() if meta else {}
                folders["/".join(parts[:-1])] = {"name": meta_d.get("name", parts[-2]), "seq": _seq(meta_d)}
            elif parts[-1] == "collection.bru":
                continue
            else:
                requests.append(parse_request(text, file=relative))
        except (BruParseError, OSError, UnicodeDecodeError) as exc:
            logger.warning("Skipping Bruno file %s: %s", relative, exc)
            skipped.append((relative, str(exc)))
    requests.sort(key=lambda r: _run_order(r, folders))
    return Collection(
        name=str(config.get("name", root.name)), root=root, config=config, requests=requests, folders=folders,
        environments=environments, skipped=skipped,
    )


def _run_order(request: BruRequest, folders: dict[str, dict]) -> tuple:
    """Bruno's runner order: in each folder its subfolders (by folder.bru seq, then name)
    come before its own requests (by seq, then name)."""
    parts = request.file.split("/")[:-1]
    key: list[tuple] = []
    for depth in range(1, len(parts) + 1):
        seq = folders.get("/".join(parts[:depth]), {}).get("seq")
        key.append((0, seq if seq is not None else 10**6, parts[depth - 1]))
    key.append((1, request.seq if request.seq is not None else 10**6, request.name))
    return tuple(key)
