"""OpenAlgo's error shape for the trading API, and the body parser that feeds it.

Every failure of a trading endpoint answers ``{"status": "error", "message": ...}``
with a 4xx status, so OpenAlgo's SDK (which reads ``message``) reports it as the
server meant it: bad JSON, oversized bodies, field errors, bad keys, throttling.
"""
from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from apikeys.api_errors import exception_handler as drf_exception_handler
from config.request_body import RequestTooLarge, decode_json, decode_text, read_bounded

__all__ = ["RequestTooLarge", "OpenAlgoJSONParser", "TradingError", "NotFound", "Conflict", "openalgo_exception_handler"]


class TradingError(Exception):
    """A business refusal from the broker or the Action Center, with its HTTP status."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TradingError):
    status_code = status.HTTP_404_NOT_FOUND


class Conflict(TradingError):
    status_code = status.HTTP_409_CONFLICT


class OpenAlgoJSONParser(BaseParser):
    """JSON whatever the declared content type (webhook senders often say text/plain),
    bounded by DATA_UPLOAD_MAX_MEMORY_SIZE like every API body (config/request_body.py),
    and always a JSON object."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = read_bounded(stream, parser_context)
        if not raw.strip():
            return {}
        data = decode_json(decode_text(raw, parser_context, "JSON body"))
        if not isinstance(data, dict):
            raise exceptions.ParseError("Invalid JSON body: expected a JSON object")
        return data


def _walk(detail, path: str = ""):
    """(field path, ErrorDetail) pairs of a ValidationError's detail."""
    if isinstance(detail, dict):
        for field, errors in detail.items():
            sub = path if field == "non_field_errors" else (f"{path}.{field}" if path else str(field))
            yield from _walk(errors, sub)
    elif isinstance(detail, list):
        for item in detail:
            yield from _walk(item, path)
    else:
        yield path, detail


def validation_message(detail) -> str:
    """One line naming every bad field, OpenAlgo's wording for missing ones."""
    missing: list[str] = []
    others: list[str] = []
    for field, error in _walk(detail):
        if field and getattr(error, "code", None) in ("required", "null"):
            if field not in missing:
                missing.append(field)
        else:
            others.append(f"{field}: {error}" if field else str(error))
    parts = [f"Missing mandatory field(s): {', '.join(missing)}"] if missing else []
    return "; ".join(parts + others) or "Invalid request"


def error_body(message: str) -> dict:
    return {"status": "error", "message": message}


def openalgo_exception_handler(exc, context):
    """DRF's handler (statuses, Retry-After, 404s) with OpenAlgo's body."""
    if isinstance(exc, TradingError):
        return Response(error_body(exc.message), status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    view = context.get("view")
    if isinstance(exc, exceptions.ValidationError):
        message = validation_message(exc.detail)
    elif isinstance(exc, exceptions.NotAuthenticated) and getattr(view, "missing_credentials_message", None):
        message = view.missing_credentials_message
    elif isinstance(exc.detail, (list, dict)):
        message = validation_message(exc.detail)
    else:
        message = str(exc.detail)
    response.data = error_body(message)
    return response
