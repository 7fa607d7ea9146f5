"""A database that cannot be reached (down, stuck, out of pooled connections) answers
503 in the API's JSON shape, with Retry-After, instead of a 500 page.

Only operational failures count: connection refused or timed out, a statement stopped
by its timeout, a pool with no free connection. Integrity and programming errors stay
500s: they are bugs, not outages. The exception's text can name hosts and users, so it
goes to the log (redacted), never to the client.
"""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

logger = logging.getLogger(__name__)

MESSAGE = "Database unavailable, try again shortly"
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable for %s %s: %s", request.method, request.path, exception)
        response = JsonResponse({"status": "error", "message": MESSAGE}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
