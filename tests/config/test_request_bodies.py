"""Every API endpoint's body: one size limit (413) and bodies no parser can read (400),
each in its API's own JSON shape, never a 500 or an HTML page, signed in or not."""
from __future__ import annotations

import io
import json

import pytest

from config.request_body import RequestTooLarge, read_bounded

pytestmark = pytest.mark.django_db

# (method, path, whose answers are OpenAlgo-shaped)
ENDPOINTS = [
    ("post", "/api/v1/auth/token/", False),
    ("post", "/api/v1/auth/token/refresh/", False),
    ("post", "/api/v1/auth/register/", False),
    ("post", "/api/v1/apikey/", False),
    ("post", "/api/v1/apikey/mode/", False),
    ("post", "/api/v1/api-keys/", False),
    ("patch", "/api/v1/api-keys/1/", False),
    ("post", "/api/v1/api-keys/test-by-type/news_api/", False),
    ("post", "/api/v1/agents/news-analyst/", False),
    ("post", "/api/v1/placeorder", True),
    ("post", "/api/v1/pendingorders/1/reject", True),
]
CHARSETS = ["rot13", "zlib_codec", "bz2", "base64", "hex", "uu", "no-such-charset"]


def _message(response, openalgo: bool) -> str:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    if openalgo:
        assert body["status"] == "error"
        return body["message"]
    return body["detail"] if "detail" in body else json.dumps(body)


@pytest.fixture(params=["anonymous", "signed-in"])
def client_for(request, anon, api):
    return anon if request.param == "anonymous" else api


# Every endpoint that reads its body, as the client that gets it read.
READ_BODIES = [
    ("anonymous", "post", "/api/v1/auth/token/", False),
    ("anonymous", "post", "/api/v1/auth/token/refresh/", False),
    ("anonymous", "post", "/api/v1/auth/register/", False),
    ("anonymous", "post", "/api/v1/placeorder", True),  # the key may be in the body
    ("anonymous", "post", "/api/v1/ping", True),
    ("signed-in", "post", "/api/v1/apikey/mode/", False),
    ("signed-in", "post", "/api/v1/api-keys/", False),
    ("signed-in", "post", "/api/v1/agents/news-analyst/", False),
    ("signed-in", "post", "/api/v1/pendingorders/1/reject", True),
]


@pytest.mark.parametrize("who,method,path,openalgo", READ_BODIES)
def test_a_body_over_the_limit_is_413_wherever_a_body_is_read(anon, api, settings, who, method, path, openalgo):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.ALLOW_SIGNUP = True
    body = json.dumps({"username": "x", "password": "y", "padding": "x" * 5000})
    client = anon if who == "anonymous" else api
    response = client.generic(method.upper(), path, body, content_type="application/json")
    assert response.status_code == 413, (response.status_code, response.content[:200])
    assert "too large" in _message(response, openalgo)


@pytest.mark.parametrize("method,path,openalgo", ENDPOINTS)
def test_deeply_nested_json_is_400_everywhere(client_for, method, path, openalgo):
    response = client_for.generic(method.upper(), path, "[" * 100_000, content_type="application/json")
    assert response.status_code < 500, (response.status_code, response.content[:200])  # 400 where it is read
    _message(response, openalgo)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_a_number_json_cannot_say_again_is_a_400_in_the_apis_shape(anon, number):
    response = anon.generic("POST", "/api/v1/placeorder", f'{{"apikey": "x", "quantity": {number}}}',
                            content_type="application/json")
    assert response.status_code == 400 and "Invalid JSON body" in _message(response, True)


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("method,path,openalgo", ENDPOINTS)
def test_a_charset_that_is_not_a_text_encoding_is_400_everywhere(client_for, method, path, openalgo, charset):
    response = client_for.generic(
        method.upper(), path, '{"username": "x"}', content_type=f"application/json; charset={charset}"
    )
    # 400 where the body is read; endpoints that take no body (regenerate) may answer 2xx.
    assert response.status_code < 500, (response.status_code, response.content[:200])
    _message(response, openalgo)


@pytest.mark.parametrize("charset", CHARSETS[:-1])  # an unknown name: Django falls back to UTF-8
def test_a_form_in_such_a_charset_is_400_too(api, charset):
    content_type = f"application/x-www-form-urlencoded; charset={charset}"
    response = api.generic("POST", "/api/v1/apikey/mode/", "mode=auto", content_type=content_type)
    assert response.status_code == 400, (response.status_code, response.content[:200])


def test_no_more_than_the_limit_is_ever_read_from_a_body(settings):
    class Endless(io.RawIOBase):
        read_so_far = 0

        def read(self, size=-1):
            assert size is not None and size >= 0, "asked to read everything"
            self.read_so_far += size
            return b"x" * size

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    stream = Endless()
    with pytest.raises(RequestTooLarge):
        read_bounded(stream, {})
    assert stream.read_so_far <= 4097
