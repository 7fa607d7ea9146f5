"""`manage.py ensure_admin` (run by `make run`): a first superuser, its password printed once."""
from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run() -> str:
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def printed_credentials(output: str) -> tuple[str, str]:
    found = re.search(r"Created superuser '([^']+)' with password: (\S+)", output)
    assert found, output
    return found.group(1), found.group(2)


def test_a_first_superuser_is_created_and_its_printed_password_works():
    username, password = printed_credentials(run())
    assert username == "admin"
    user = authenticate(username=username, password=password)
    assert user is not None and user.is_superuser and user.is_staff


def test_a_second_run_says_the_admin_exists_and_how_to_reset_its_password():
    run()
    again = run()
    assert again.strip() == (
        "Admin account exists: 'admin' (no new one created). Forgotten password? "
        "`.venv/bin/python manage.py changepassword admin`"
    )
    assert "password:" not in again
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_several_superusers_are_named_the_first_few(make_user):
    for name in ("root", "ops", "alice", "bob"):
        make_user(name, is_superuser=True, is_staff=True)
    said = run()
    assert "Admin accounts exist: 'root', 'ops', 'alice' and others" in said
    assert "changepassword root" in said
    assert get_user_model().objects.filter(is_superuser=True).count() == 4


def test_an_ordinary_user_called_admin_is_left_alone(make_user):
    ordinary = make_user("admin")
    username, password = printed_credentials(run())
    assert username == "admin2"
    ordinary.refresh_from_db()
    assert not ordinary.is_superuser and not ordinary.is_staff
    assert authenticate(username="admin2", password=password).is_superuser
