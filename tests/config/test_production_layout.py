"""The production layout's servers (config/cluster.py): gunicorn serving HTTP and uvicorn
serving the WebSocket stream on a port of its own, both with access logs that never show
a key; the playground pointed at the stream by WEBSOCKET_URL."""
from __future__ import annotations

import json
import time

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from websockets.sync.client import connect

from config.env import Env, websocket_origin
from tests.livesupport import start_keyward

KEY_IN_QUERY = "ab" * 32


@pytest.mark.live
@pytest.mark.own_services
@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_the_access_log_never_shows_a_key_from_the_query_string(tmp_path, server):
    live = start_keyward(tmp_path, server=server, env={"LOG_LEVEL": "INFO"})
    try:
        key = live.seed_key("logged")
        assert httpx.get(f"{live.url}/api/v1/ping?apikey={key}").status_code == 200
        assert httpx.get(f"{live.url}/healthz?apikey={KEY_IN_QUERY}&token=sekrit-token-1").status_code == 200
        deadline = time.monotonic() + 5
        while "/healthz?apikey=" not in live.log() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        live.stop()
    log = live.log()
    assert "GET /api/v1/ping?apikey=[REDACTED]" in log  # the requests were logged, redacted
    assert "GET /healthz?apikey=[REDACTED]&token=[REDACTED]" in log
    assert key not in log and KEY_IN_QUERY not in log and "sekrit-token-1" not in log
    assert "Logging error" not in log


@pytest.mark.live
@pytest.mark.own_services
def test_the_stream_on_its_own_port_authenticates_and_sends_ticks(tmp_path):
    http = start_keyward(tmp_path, server="gunicorn", env={"FEED_TICKS_PER_SECOND": "20"})
    try:
        stream = start_keyward(tmp_path, server="uvicorn", env=http.env, migrate=False)
    except Exception:
        http.stop()
        raise
    try:
        key = http.seed_key("streamer")
        with connect(stream.ws_url + "/ws/", open_timeout=5, compression=None) as sock:
            sock.send(json.dumps({"action": "authenticate", "apikey": key}))
            assert json.loads(sock.recv(timeout=5))["status"] == "success"
            sock.send(json.dumps({"action": "subscribe", "symbol": "RELIANCE", "exchange": "NSE", "mode": 1}))
            deadline = time.monotonic() + 5
            while True:
                message = json.loads(sock.recv(timeout=max(deadline - time.monotonic(), 0.01)))
                if message.get("type") == "market_data":
                    break
        assert message["symbol"] == "RELIANCE"
    finally:
        http.stop()
        stream.stop()


@pytest.mark.live
@pytest.mark.own_services
def test_the_stream_turns_permessage_deflate_down(tmp_path):
    stream = start_keyward(tmp_path, server="uvicorn")
    try:
        with connect(stream.ws_url + "/ws/", open_timeout=5) as sock:  # offers permessage-deflate, as browsers do
            extensions = sock.response.headers.get("Sec-WebSocket-Extensions")
    finally:
        stream.stop()
    assert extensions is None


@pytest.mark.django_db
def test_the_playground_connects_where_websocket_url_says(client, django_user_model, settings):
    settings.WEBSOCKET_URL = "wss://stream.example.com:8443/ws/"
    client.force_login(django_user_model.objects.create_user("player", password="pw-12345678"))
    page = client.get("/playground/").content.decode()
    assert 'data-ws-url="wss://stream.example.com:8443/ws/"' in page
    settings.WEBSOCKET_URL = ""
    assert 'data-ws-url=""' in client.get("/playground/").content.decode()  # the page's own host


def test_the_stream_origin_is_allowed_by_the_content_security_policy():
    assert websocket_origin("wss://stream.example.com:8443/ws/") == ["wss://stream.example.com:8443"]
    assert websocket_origin("") == []


@pytest.mark.parametrize("value", ["http://example.com/ws/", "ws:///ws/", "ws://host:notaport/", "stream"])
def test_a_websocket_url_that_is_not_one_stops_start_up_naming_it(monkeypatch, value):
    monkeypatch.setenv("WEBSOCKET_URL", value)
    with pytest.raises(ImproperlyConfigured, match="WEBSOCKET_URL must be a ws:// or wss:// URL"):
        Env().websocket_url("WEBSOCKET_URL")


@pytest.mark.live
@pytest.mark.own_services
def test_the_stream_judges_the_tcp_peer_not_a_forwarded_for_header(tmp_path):
    """As under gunicorn and daphne: with NUM_PROXIES=0 an X-Forwarded-For header names
    nobody, so a key allowlisted to this machine still signs in with one naming elsewhere."""
    stream = start_keyward(tmp_path, server="uvicorn")
    try:
        key = stream.seed_key("allowlisted")
        stream.manage("shell", "-c", "from apikeys.models import PlatformApiKey; "
                                     "PlatformApiKey.objects.update(allowed_ips=['127.0.0.1'])")
        with connect(stream.ws_url + "/ws/", open_timeout=5, compression=None,
                     additional_headers={"X-Forwarded-For": "203.0.113.9"}) as sock:
            sock.send(json.dumps({"action": "authenticate", "apikey": key}))
            assert json.loads(sock.recv(timeout=5))["status"] == "success"
    finally:
        stream.stop()
