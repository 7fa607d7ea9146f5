"""Errors no view answered: Django's handler400/403/404/500 and the CSRF failure view.

Clients of /api/, /playground/ and the strategy webhooks read JSON, so there every such
error is JSON: under /api/v1/ and the webhooks (and for an unknown path anywhere under
/api/) OpenAlgo's ``{"status": "error", "message": ...}`` (the trading API's shape, which
OpenAlgo's SDKs read), elsewhere DRF's ``{"detail": ...}``. Every other path
gets the site's own page (templates/400.html, 403.html, 404.html, 500.html).
Nothing the client sent is repeated back: a path may hold a key.
"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from rest_framework.renderers import JSONRenderer

# Where OpenAlgo's shape answers: its API and the TradingView / ChartInk webhook URLs.
OPENALGO_PREFIXES = ("/api/v1/", "/strategy/webhook/", "/chartink/webhook/")
JSON_PREFIXES = ("/api/", "/playground/", *OPENALGO_PREFIXES[1:])

# status → (OpenAlgo message, DRF detail)
MESSAGES = {
    400: ("Bad request", "Bad request."),
    403: ("Permission denied", "You do not have permission to perform this action."),
    404: ("Not found: no API endpoint at this path (the list is at /api/docs/)", "Not found."),
    500: ("Internal server error: the request failed on the server", "A server error occurred."),
}


def _under(path: str, prefix: str) -> bool:
    return path.startswith(prefix) or path == prefix.rstrip("/")


def json_error_body(
    path: str, *, message: str, detail: str, openalgo_prefixes: tuple[str, ...] = OPENALGO_PREFIXES
) -> dict | None:
    """The JSON body of an error at ``path`` (``message`` under ``openalgo_prefixes``,
    ``detail`` elsewhere), or None where an HTML page answers."""
    if not any(_under(path, prefix) for prefix in JSON_PREFIXES):
        return None
    if any(_under(path, prefix) for prefix in openalgo_prefixes):
        return {"status": "error", "message": message}
    return {"detail": detail}


def _json(
    request: HttpRequest, status: int, *, message: str | None = None,
    openalgo_prefixes: tuple[str, ...] = OPENALGO_PREFIXES,
) -> JsonResponse | None:
    openalgo, detail = MESSAGES[status]
    body = json_error_body(
        request.path_info, message=message or openalgo, detail=message or detail, openalgo_prefixes=openalgo_prefixes
    )
    return None if body is None else JsonResponse(body, status=status)


def bad_request(request, exception):
    return _json(request, 400) or defaults.bad_request(request, exception)


def permission_denied(request, exception):
    return _json(request, 403) or defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    # Any unknown path under /api/ is OpenAlgo's 404 (a client that got the version or
    # the prefix wrong reads "message" like every other OpenAlgo error).
    return _json(request, 404, openalgo_prefixes=("/api/", *OPENALGO_PREFIXES)) or defaults.page_not_found(request, exception)


def server_error(request):
    # Django has already logged the exception (django.request) with its traceback.
    return _json(request, 500) or defaults.server_error(request)


def csrf_failure(request, reason=""):
    """A refused CSRF check: JSON under the API prefixes, Django's page elsewhere."""
    message = "CSRF check failed: reload the page, or send the X-CSRFToken header with the csrftoken cookie."
    return _json(request, 403, message=message) or django_csrf_failure(request, reason)


def method_not_allowed(request: HttpRequest, allowed: list[str]) -> HttpResponse:
    """405 for a plain Django view under the JSON prefixes, in the shape of its prefix."""
    message = f'Method "{request.method}" not allowed.'
    body = json_error_body(request.path_info, message=message, detail=message) or {"detail": message}
    response = JsonResponse(body, status=405)
    response["Allow"] = ", ".join(allowed)
    return response


class JsonErrorsMixin:
    """For a DRF view whose answers are not JSON (Swagger UI's HTML page, the YAML
    schema): its errors (405, 401, 406...) are JSON all the same."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response
