"""apikeys 0003: every key from the one-key-per-user days becomes its user's primary key,
with every scope, and goes on working."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("apikeys", "0002_serviceapikey")]
AFTER = [("apikeys", "0003_several_scoped_keys")]


def test_existing_keys_become_primary_keys_with_every_scope_and_keep_working():
    from apikeys import crypto

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    User = old_apps.get_model("auth", "User")
    OldKey = old_apps.get_model("apikeys", "PlatformApiKey")
    plaintext = crypto.generate_platform_key()
    for name, mode in (("before-1", "auto"), ("before-2", "semi_auto")):
        user = User.objects.create(username=name)
        OldKey.objects.create(
            user=user, order_mode=mode, lookup_digest=crypto.lookup_digest(plaintext + name[-1], crypto.current_pepper()),
        )
    # The real key of before-1: stored the way the old code stored it.
    from apikeys.fields import ArgonHash

    row = OldKey.objects.get(user__username="before-1")
    row.key_hash = ArgonHash(crypto.hasher().encode(plaintext, crypto.current_pepper()))
    row.lookup_digest = crypto.lookup_digest(plaintext, crypto.current_pepper())
    row.save()

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()

    from apikeys import verification
    from apikeys.models import PlatformApiKey

    rows = {r.user.username: r for r in PlatformApiKey.objects.select_related("user")}
    assert {name: (r.is_primary, r.name, r.scopes, r.order_mode) for name, r in rows.items()} == {
        "before-1": (True, "Primary key", ["read:market", "read:account", "write:orders"], "auto"),
        "before-2": (True, "Primary key", ["read:market", "read:account", "write:orders"], "semi_auto"),
    }
    verified = verification.verify(plaintext)
    assert verified is not None and verified.key_id == rows["before-1"].pk and verified.is_primary
