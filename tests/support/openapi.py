"""Check a Django test client's response against what ``/api/schema/`` documents for it:
the status code is listed for the operation, the Content-Type is one it documents, and
the body validates against that status's schema (schemathesis's own response check, the
one ``tests/config/test_schema_fuzz.py`` runs against a live server).
"""
from __future__ import annotations

import http.client

import requests
import schemathesis

_loaded: dict[str, schemathesis.BaseSchema] = {}


def openapi_schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _operation(client, method: str, path: str):
    # The schema comes from the code alone, so one load serves the whole test run.
    if "schema" not in _loaded:
        _loaded["schema"] = schemathesis.openapi.from_dict(openapi_schema(client))
    return _loaded["schema"][path][method.upper()]


def assert_documented(client, method: str, path: str, response) -> None:
    """``path`` as the schema spells it, e.g. ``/api/v1/api-keys/{key_id}/``."""
    __tracebackhide__ = True
    operation = _operation(client, method, path)
    documented = operation.definition.raw["responses"]
    status = str(response.status_code)
    assert status in documented, f"{method.upper()} {path} answered {status}, documented: {sorted(documented)}"
    content = documented[status].get("content")
    if content:
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        assert media_type in content, f"{method.upper()} {path} {status}: {media_type!r}, documented: {list(content)}"
    operation.validate_response(_as_schemathesis(method, path, response))


def _as_schemathesis(method: str, path: str, response) -> schemathesis.Response:
    return schemathesis.Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.headers.items()},
        content=response.content,
        request=requests.Request(method.upper(), f"http://testserver{path}").prepare(),
        elapsed=0.0,
        verify=False,
        message=http.client.responses.get(response.status_code, ""),
        encoding="utf-8",
    )
