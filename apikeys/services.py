"""Writes of the credentials domain. Views, admin actions and commands call these."""
from __future__ import annotations

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apikeys import crypto, events
from apikeys.models import OrderMode, PlatformApiKey

logger = logging.getLogger(__name__)


def _locked_row(user: AbstractBaseUser) -> PlatformApiKey:
    row, _ = PlatformApiKey.objects.select_for_update().get_or_create(user=user)
    return row


def platform_key_regenerate(*, user: AbstractBaseUser) -> tuple[PlatformApiKey, str]:
    """Give ``user`` a fresh key, replacing any old one. Returns (row, plaintext)."""
    plaintext = crypto.generate_platform_key()
    with transaction.atomic():
        row = _locked_row(user)
        had_key = row.has_key
        row.set_secret(plaintext)
        row.created_at = timezone.now()
        row.revoked_at = None
        row.last_used_at = None
        row.save()
        if had_key:
            events.platform_key_changed(user.pk)
    logger.info("platform key regenerated for user %s", user.pk)
    return row, plaintext


def platform_key_revoke(*, user: AbstractBaseUser) -> bool:
    """Make the user's key stop working at once. False when there was none."""
    with transaction.atomic():
        row = PlatformApiKey.objects.select_for_update().filter(user=user).first()
        if row is None or not row.has_key:
            return False
        row.clear_secret()
        row.revoked_at = timezone.now()
        row.save()
        events.platform_key_changed(user.pk)
    logger.info("platform key revoked for user %s", user.pk)
    return True


def platform_key_set_mode(*, user: AbstractBaseUser, mode: str) -> PlatformApiKey:
    if mode not in OrderMode.values:
        raise ValueError(f"unknown order mode {mode!r}")
    with transaction.atomic():
        row = _locked_row(user)
        row.order_mode = mode
        row.save(update_fields=["order_mode", "updated_at"])
    logger.info("order mode of user %s set to %s", user.pk, mode)
    return row


def platform_key_get(*, user: AbstractBaseUser) -> PlatformApiKey | None:
    return PlatformApiKey.objects.filter(user=user).first()
