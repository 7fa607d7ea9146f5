"""/favicon.ico: browsers ask for it on every site whatever the page links to."""
from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICON = "keyward/favicon.ico"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> FileResponse:
    found = finders.find(ICON)
    if not found:
        raise Http404("favicon missing from static/")
    return FileResponse(open(found, "rb"), content_type="image/x-icon")
