"""The project's DRF exception handler: DRF's own, plus the one answer for a stored secret
that no FERNET_KEYS entry opens — 503 naming the variable, never the ciphertext — and for a
key operation the service refused (``{"detail": message}`` with its status), so no view
catches ``UndecryptableSecret`` or ``KeyOperationRefused`` itself."""
from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from apikeys.crypto import UndecryptableSecret
from apikeys.services import KeyOperationRefused


class SecretUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "secret_unavailable"


class Refused(exceptions.APIException):
    """A refused key operation, with the service's status and message."""

    def __init__(self, refused: KeyOperationRefused) -> None:
        super().__init__(refused.message)
        self.status_code = refused.status_code


def exception_handler(exc, context):
    if isinstance(exc, UndecryptableSecret):
        exc = SecretUnavailable(str(exc))
    elif isinstance(exc, KeyOperationRefused):
        exc = Refused(exc)
    return drf_exception_handler(exc, context)
