"""Request bodies for every API endpoint: one size limit, JSON that cannot crash a view.

DRF's own parsers read a body whole, whatever its size (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE guards ``request.body`` and form fields, not the stream DRF
reads), and let a RecursionError (``[`` × 100,000) or a charset that is not a text
encoding (``charset=rot13``, ``zlib_codec``: a LookupError) through as a 500. The parsers
here refuse a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE with 413, declared or not, and
anything they cannot read with 400; each view's exception handler gives the answer its
API's shape. REST_FRAMEWORK's DEFAULT_PARSER_CLASSES lists them; the trading API's parser
(trading.errors.OpenAlgoJSONParser) reads through ``read_bounded`` too.
"""
from __future__ import annotations

import json
import math

from django.conf import settings
from django.http import QueryDict
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body too large: the limit is {limit} bytes")


def body_limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def refuse_declared_oversize(parser_context: dict | None) -> None:
    """413 before reading when the declared Content-Length is past the limit."""
    limit = body_limit()
    request = (parser_context or {}).get("request")
    if limit is None or request is None:
        return
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise RequestTooLarge(limit)


def read_bounded(stream, parser_context: dict | None) -> bytes:
    """The body, never more than the limit held in memory: 413 past it."""
    refuse_declared_oversize(parser_context)
    limit = body_limit()
    if stream is None:
        return b""
    raw = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(raw) > limit:
        raise RequestTooLarge(limit)
    return raw


def decode_text(raw: bytes, parser_context: dict | None, what: str = "body") -> str:
    """The body as text in its declared charset; 400 for one that is not a text encoding."""
    encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
    try:
        return raw.decode(encoding)
    except LookupError:  # unknown, or a bytes/text transform such as rot13, base64, zlib
        raise exceptions.ParseError(f"Unsupported charset {str(encoding)[:40]!r}: send UTF-8") from None
    except UnicodeDecodeError as exc:
        raise exceptions.ParseError(f"Invalid {what}: not valid {encoding} ({exc.reason})") from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: Python reads it as infinity
        raise ValueError(f"number {text[:40]} is out of range")
    return value


# One decoder for every body and WebSocket message (json.loads with a keyword argument
# builds one per call). NaN and Infinity are not JSON, written out or overflowing: what it
# decodes always encodes again.
JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def decode_json(text: str):
    try:
        return JSON_DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise exceptions.ParseError(f"Invalid JSON body: {detail}") from None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return decode_json(decode_text(read_bounded(stream, parser_context), parser_context, "JSON body"))


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        text = decode_text(read_bounded(stream, parser_context), parser_context)
        try:
            return QueryDict(text, encoding=(parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)
        except LookupError:
            raise exceptions.ParseError("Unsupported charset: send UTF-8") from None


class MultiPartParser(parsers.MultiPartParser):
    """Django's multipart parser bounds form fields itself and spools files to disk; the
    declared length is bounded here like every other body."""

    def parse(self, stream, media_type=None, parser_context=None):
        refuse_declared_oversize(parser_context)
        try:
            return super().parse(stream, media_type, parser_context)
        except LookupError:
            raise exceptions.ParseError("Unsupported charset: send UTF-8") from None
