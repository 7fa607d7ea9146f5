"""Create a first superuser when there is none, printing its generated password once;
when there is one, say so and how to reset its password."""
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an admin user with a random password if no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        User = get_user_model()
        existing = list(
            User.objects.filter(is_superuser=True).order_by("pk").values_list(User.USERNAME_FIELD, flat=True)[:4]
        )
        if existing:
            self.stdout.write(_exists_message(existing))
            return
        username = _free_username(User, username)
        password = secrets.token_urlsafe(18)
        User.objects.create_superuser(username=username, email="", password=password)
        # Printed to the terminal once, deliberately not logged.
        self.stdout.write(
            self.style.WARNING(
                f"Created superuser '{username}' with password: {password}\n"
                "Store it now; it is not shown again (change it in /admin/, or reset it with "
                f"`.venv/bin/python manage.py changepassword {username}`)."
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


def _exists_message(usernames: list[str]) -> str:
    named = ", ".join(f"'{name}'" for name in usernames[:3]) + (" and others" if len(usernames) > 3 else "")
    noun = "account exists" if len(usernames) == 1 else "accounts exist"
    return (
        f"Admin {noun}: {named} (no new one created). Forgotten password? "
        f"`.venv/bin/python manage.py changepassword {usernames[0]}`"
    )
