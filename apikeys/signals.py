"""Model changes that can change whether a platform key works or what it may do.

Connected in ``ApikeysConfig.ready``. A save or delete of a key row (services, the admin,
a shell) or of its owner (deactivated, deleted, flags changed) evicts that user's cached
keys everywhere. Writes through ``QuerySet.update`` send no signal: the code that makes
them calls ``apikeys.eviction`` itself.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from apikeys import eviction
from apikeys.models import PlatformApiKey


def key_row_changed(sender, instance: PlatformApiKey, **kwargs) -> None:
    eviction.evict_users([instance.user_id])


def user_changed(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every sign-in saves last_login: nothing a key check reads
    eviction.evict_users([instance.pk])


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(key_row_changed, sender=PlatformApiKey, dispatch_uid=f"keyward-key-{id(signal)}")
        signal.connect(user_changed, sender=get_user_model(), dispatch_uid=f"keyward-user-{id(signal)}")
