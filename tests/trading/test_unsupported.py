"""OpenAlgo endpoints a paper broker cannot serve answer JSON 501 naming the feature;
TradingView-style numbers sent as strings are read as numbers."""
from __future__ import annotations

import pytest

from .support import fast_password_hashing, place  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("path", "feature"), [
    ("/api/v1/telegram/notify", "Telegram"),
    ("/api/v1/telegram/any/thing", "Telegram"),
    ("/api/v1/whatsapp/notify", "WhatsApp"),
    ("/api/v1/strategy/list", "Hosted strategies"),
    ("/api/v1/strategy/start/", "Hosted strategies"),
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unservable_openalgo_endpoints_answer_json_501_naming_the_feature(anon, platform_key, path, feature, method):
    response = anon.generic(method, path, f'{{"apikey": "{platform_key}", "message": "hi"}}',
                            content_type="application/json", HTTP_X_API_KEY=platform_key)
    assert response.status_code == 501
    body = response.json()
    assert body["status"] == "error" and body["message"].startswith(feature)
    assert "not supported" in body["message"]


def test_unservable_endpoints_check_the_key_first(anon):
    response = anon.post("/api/v1/telegram/notify", {"apikey": "0" * 64}, format="json")
    assert (response.status_code, response.json()["message"]) == (403, "Invalid openalgo apikey")


def test_an_order_sent_with_every_number_as_a_string_is_placed(anon, platform_key):
    """TradingView alerts send "quantity": "1", prices as strings too."""
    response = place(anon, platform_key, quantity="1", price="0", trigger_price="0", disclosed_quantity="0")
    assert response.status_code == 200 and response.json()["status"] == "success"


def test_a_fractional_quantity_string_is_refused_with_a_message(anon, platform_key):
    response = place(anon, platform_key, quantity="1.5")
    assert response.status_code == 400
    assert "Quantity" in response.json()["message"]
