"""Drive an ASGI application in process as a client would: one HTTP request, its answer,
and optionally a client that goes away mid-request. For tests that must reach a handler
itself (Django's test clients bring handlers of their own)."""
from __future__ import annotations

import asyncio


def http_scope(path: str, headers: list[tuple[bytes, bytes]] = ()) -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
    }


async def asgi_request(handler, path: str, headers=(), *, disconnect: asyncio.Event | None = None) -> tuple[int, bytes]:
    """One request through ``handler``: (status, body). With ``disconnect``, the client
    goes away once that event is set, as a browser closing the tab would."""
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    answer: dict = {"status": None, "body": b""}

    async def receive():
        if messages:
            return messages.pop()
        if disconnect is not None:
            await disconnect.wait()
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()  # a client that stays connected

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await handler(http_scope(path, list(headers)), receive, send)
    return answer["status"], answer["body"]
