"""The audit log of platform keys: one row per thing done to a key, never the key itself.

Services call ``record`` inside the transaction of the change it describes, so a change
and its line commit (or roll back) together. ``actor`` is the user who did it (None for
the key's own first use from an address, or a management command); ``ip`` is the client
address as the throttles see it.
"""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from apikeys.models import KeyEventAction, PlatformApiKey, PlatformKeyEvent


def record(key: PlatformApiKey, action: object, *, actor=None, ip: str = "", detail: dict | None = None,
           at: datetime | None = None) -> PlatformKeyEvent:
    # ``object``: without Django stubs mypy reads a TextChoices member as a tuple.
    assert str(action) in KeyEventAction.values, action
    return PlatformKeyEvent.objects.create(
        key=key, action=str(action), actor=actor if actor is not None and actor.is_authenticated else None,
        ip=(ip or "")[:64], detail=detail or {}, at=at or timezone.now(),
    )


def events_of(key: PlatformApiKey, limit: int = 100):
    return PlatformKeyEvent.objects.filter(key=key).select_related("actor").order_by("-at", "-id")[:limit]


def as_json(event: PlatformKeyEvent) -> dict:
    return {
        "id": event.pk,
        "action": event.action,
        "label": event.get_action_display(),
        "at": event.at.astimezone(timezone.get_fixed_timezone(0)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": event.actor.get_username() if event.actor is not None else None,
        "ip": event.ip or None,
        "detail": event.detail,
    }
