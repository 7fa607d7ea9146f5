"""Keep secrets out of every log record.

A handler-level ``logging.Filter`` only sees records that reach *that* handler, so a
record caught by another handler (a test's capture, an error reporter) would slip past
it. Instead the record factory is wrapped: every record, from every logger, is
redacted as it is created, before any handler sees it. Creation happens only after the
level check, so disabled DEBUG lines cost nothing.

Two kinds of redaction:
- shapes: 64-hex platform keys, ``apikey=``/``key=``/``token=`` style query values
  (judged percent-decoded, as Django reads them: ``?%61pikey=`` is ``apikey``),
  ``"apikey": "..."`` JSON members, key-carrying HTTP headers and Bearer tokens;
- known values: plaintexts the process has handled (service keys have no shape), kept
  in a bounded registry filled by the encrypted field and key generation.
"""
from __future__ import annotations

import logging
import logging.config
import re
import threading
from collections import OrderedDict
from urllib.parse import unquote_plus

MASK = "[REDACTED]"
_MAX_KNOWN_SECRETS = 2048
_MIN_KNOWN_SECRET_LENGTH = 6

_SECRET_NAMES = r"(?:api[_-]?key|apikey|key|token|access[_-]?token|refresh|access|password|secret|auth)"
_PATTERNS = [
    # Platform keys: 64 hex characters standing alone.
    (re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])"), MASK),
    # Query strings and form bodies: apikey=...&, token=..., key=...
    (re.compile(rf"(?i)(\b{_SECRET_NAMES}=)[^&\s'\"]+"), rf"\1{MASK}"),
    # JSON / repr members: "apikey": "...", 'api_key': '...'
    (re.compile(rf"(?i)([\"']{_SECRET_NAMES}[\"']\s*:\s*[\"'])[^\"']*([\"'])"), rf"\1{MASK}\2"),
    # Headers that carry keys, in any of the shapes http.client and urllib3 log them.
    (re.compile(r"(?i)((?:x-api-key|x-goog-api-key|x-finnhub-token|authorization)[\"']?\s*[:=,]\s*[\"']?)"
                r"(?:bearer\s+)?[^\s,'\"}]+"), rf"\1{MASK}"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), f"Bearer {MASK}"),
]


# One name=value pair of a query string or form body, names and values as sent
# (percent-encoded or not); judged on their decoded form by _redact_parameter.
_PARAMETER = re.compile(r"(?<=[?&;])([^=&;\s'\"?#]+)=([^&;\s'\"#]*)")
_SECRET_NAME = re.compile(rf"(?i)(?:.*[^0-9a-z])?{_SECRET_NAMES}")
_PLATFORM_KEY = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])")


def _redact_parameter(match: re.Match) -> str:
    """Django decodes ``?%61pikey=`` as ``apikey`` and ``%61%62...`` as the key itself, so a
    parameter is judged as the server reads it: a secret's name, or a value that holds a
    platform key, once percent-decoded, and its value is masked."""
    name, value = match.group(1), match.group(2)
    if value == MASK:
        return match.group(0)
    decoded_name, decoded_value = unquote_plus(name), unquote_plus(value)
    if _SECRET_NAME.fullmatch(decoded_name) or _PLATFORM_KEY.search(decoded_value):
        return f"{name}={MASK}"
    return match.group(0)


class _KnownSecrets:
    """A bounded, thread-safe set of plaintexts to blank wherever they appear."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None) -> None:
        if not value or len(value) < _MIN_KNOWN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._values:
                self._values.move_to_end(value)
                return
            self._values[value] = None
            while len(self._values) > self._limit:
                self._values.popitem(last=False)
            self._pattern = None

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None:
            with self._lock:
                if not self._values:
                    return text
                # Longest first, so a secret that contains another is blanked whole.
                alternatives = sorted(self._values, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(map(re.escape, alternatives)))
        return pattern.sub(MASK, text)


known_secrets = _KnownSecrets(_MAX_KNOWN_SECRETS)


def remember(secret: str | None) -> None:
    """Register a plaintext so that no later log record can carry it."""
    known_secrets.add(secret)


def redact(text: str) -> str:
    """Return ``text`` with every secret shape and every known secret masked."""
    if not text:
        return text
    text = known_secrets.redact(text)
    if "=" in text:
        text = _PARAMETER.sub(_redact_parameter, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not hide the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_install_lock = threading.Lock()
_installed = False


def install_record_factory() -> None:
    """Wrap the process's log record factory once; idempotent."""
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def redacting_factory(*args, **kwargs):
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(redacting_factory)
        _installed = True


def configure_logging(logging_settings: dict) -> None:
    """LOGGING_CONFIG entry point: install redaction, then apply LOGGING as usual."""
    install_record_factory()
    if logging_settings:
        logging.config.dictConfig(logging_settings)
