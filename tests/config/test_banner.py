"""`python -m config.banner` (printed by `make run` before serving): the pages a new
user opens first, at the address they are served on, each one a real page."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.urls import resolve

from config import banner
from tests.support.processes import PROJECT_ROOT


def printed(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "config.banner", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_it_lists_the_first_pages_at_the_served_address_and_how_to_change_it():
    out = printed("--host", "127.0.0.1", "--port", "8123")
    urls = re.findall(r"http://127\.0\.0\.1:8123(/\S*)", out)
    assert urls[1:] == ["/login/", "/apikey/", "/playground/", "/api/docs/", "/admin/"]
    assert "make run HOST=0.0.0.0 PORT=8080" in out
    assert "manage.py changepassword admin" in out


@pytest.mark.parametrize(("host", "url"), [
    ("0.0.0.0", "http://127.0.0.1:9000"), ("::", "http://[::1]:9000"), ("localhost", "http://localhost:9000"),
    ("::1", "http://[::1]:9000"),
])
def test_a_wildcard_bind_is_opened_through_loopback(host, url):
    assert banner.base_url(host, 9000) == url


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "path"), banner.PAGES)
def test_every_listed_page_exists(client, label, path):
    resolve(path)
    assert client.get(path).status_code in (200, 302), label  # a page, or the sign-in it needs
