"""The project's DRF exception handler: DRF's own, plus the one answer for a stored secret
that no FERNET_KEYS entry opens — 503 naming the variable, never the ciphertext — so no
view catches ``UndecryptableSecret`` itself."""
from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from apikeys.crypto import UndecryptableSecret


class SecretUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "secret_unavailable"


def exception_handler(exc, context):
    if isinstance(exc, UndecryptableSecret):
        exc = SecretUnavailable(str(exc))
    return drf_exception_handler(exc, context)
