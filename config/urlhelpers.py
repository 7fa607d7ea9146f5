"""URL patterns that answer with and without a trailing slash.

APPEND_SLASH would redirect, and OpenAlgo's SDK and many webhook senders neither follow
redirects nor resend a POST body, so both spellings route straight to the view.
"""
from __future__ import annotations

from django.urls import re_path


def slash_optional(route: str, view, name: str | None = None):
    """``route`` without leading/trailing slash; e.g. ``api/v1/apikey``."""
    return re_path(rf"^{route.strip('/')}/?$", view, name=name)
