"""A database that cannot be reached (down, stuck, out of pooled connections) answers
503 with Retry-After, instead of a 500: in the JSON shape of the path's API
(``config.errors.json_error_body``), and as the site's own page elsewhere.

Only operational failures count: connection refused or timed out, a statement stopped
by its timeout, a pool with no free connection. Integrity and programming errors stay
500s: they are bugs, not outages. The exception's text can name hosts and users, so it
goes to the log (redacted), never to the client.
"""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

from config.errors import json_error_body

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
        body = json_error_body(request.path_info, message=MESSAGE, detail=MESSAGE)
        # The page is rendered without a request context: that could need the database.
        response = (JsonResponse(body, status=503) if body is not None
                    else HttpResponse(loader.render_to_string("503.html"), status=503))
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
