"""The /apikey/ page: served to its owner only, scripts local, no key in the HTML."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_page_requires_login(client):
    response = client.get("/apikey/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_page_has_the_controls_and_never_embeds_the_key(client, user, platform_key):
    client.force_login(user)
    html = client.get("/apikey/").content.decode()
    for element in ("api-key", "toggle-key", "copy-key", "regenerate-key", "order-mode", "webhook-url", "webhook-body"):
        assert f'id="{element}"' in html or f'name="{element}"' in html
    assert platform_key not in html
    assert "http://testserver/api/v1/placeorder" in html
    # CSP-friendly: no inline script, every script from our own /static/.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]*src="([^"]+)"', html))


def test_page_has_the_several_keys_card_with_every_scope(client, user, platform_key):
    client.force_login(user)
    html = client.get("/apikey/").content.decode()
    for element in ("keys-table", "create-key-form", "new-secret-box", "roll-key", "roll-grace", "reveal-key",
                    "revoke-key", "usage-chart", "events-table"):
        assert f'id="{element}"' in html
    for scope in ("read:market", "read:account", "write:orders"):
        assert f'value="{scope}" checked' in html
    assert 'data-endpoint="/api/v1/platform-keys"' in html
    assert '/static/keyward/platform_keys.js' in html and platform_key not in html
