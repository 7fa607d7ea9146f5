"""Create (or reuse) a user and give them a fresh platform key, printed once on stdout.

For demos, live tests and benchmarks that need a working key without the web UI:
    key=$(python manage.py seed_platform_key --username demo --mode semi_auto)
The key is printed and nowhere else (like the page that shows a new key); any earlier
key of that user stops working.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from apikeys import services
from apikeys.models import OrderMode


class Command(BaseCommand):
    help = "Create or reuse a user, generate their platform key and print it (only the key) on stdout."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", default=None, help="Set this password (default: unusable password)")
        parser.add_argument("--mode", choices=OrderMode.values, default=OrderMode.AUTO)

    def handle(self, *args, username: str, password: str | None, mode: str, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        if password is not None:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        _, plaintext = services.platform_key_regenerate(user=user)
        services.platform_key_set_mode(user=user, mode=mode)
        self.stdout.write(plaintext)
