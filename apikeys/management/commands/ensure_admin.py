"""Create a first superuser when there is none, printing its generated password once."""
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an admin user with a random password if no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        username = _free_username(User, username)
        password = secrets.token_urlsafe(18)
        User.objects.create_superuser(username=username, email="", password=password)
        # Printed to the terminal once, deliberately not logged.
        self.stdout.write(
            self.style.WARNING(
                f"Created superuser '{username}' with password: {password}\n"
                "Store it now; it is not shown again (change it in /admin/)."
            )
        )


def _free_username(User, wanted: str) -> str:
    """``wanted``, or ``wanted2``, ``wanted3``... when an ordinary user already has it:
    an existing account is never promoted or changed behind its owner's back."""
    taken = set(User.objects.filter(username__startswith=wanted).values_list("username", flat=True))
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}{n}"
    return candidate
