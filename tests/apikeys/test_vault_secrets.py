"""A service key's plaintext goes to its service and nowhere else: not to a log line at
DEBUG (urllib3, SQL and the fake server's access log included), not to the database
file, not to any vault response beyond ``masked_key``."""
from __future__ import annotations

import logging
import sqlite3

import pytest
from django.db import connection

from apikeys.models import ServiceApiKey
from tests.apikeys.conftest import VALID_KEYS

URL = "/api/v1/api-keys/"
LOGGERS = ("", "django", "django.request", "django.db.backends", "urllib3", "apikeys", "werkzeug")
WRONG_FMP_KEY = "wrong-fmp-key-not-accepted-77"


def full_workflow(api, fake_providers) -> list:
    """Everything a user does with keys, every answer collected."""
    responses = []
    created = {}
    for key_type, plaintext in VALID_KEYS.items():
        response = api.post(URL, {"key_type": key_type, "api_key": plaintext, "key_name": f"{key_type} key"},
                            format="json")
        responses.append(response)
        created[key_type] = response.json()["id"]
    for key_type in VALID_KEYS:
        responses.append(api.post(f"{URL}test-by-type/{key_type}"))
        responses.append(api.post(f"{URL}test-by-id/{created[key_type]}/"))
    responses.append(api.get(URL))
    responses.append(api.get(URL, {"include_inactive": "true"}))
    for key_id in created.values():
        responses.append(api.get(f"{URL}{key_id}"))
    # a wrong FMP key: its failure travels with ?apikey= in the URL too
    responses.append(api.patch(f"{URL}{created['fmp_api']}", {"is_active": False}, format="json"))
    responses.append(api.post(URL, {"key_type": "fmp_api", "api_key": WRONG_FMP_KEY}, format="json"))
    responses.append(api.post(f"{URL}test-by-type/fmp_api"))
    responses.append(api.patch(f"{URL}{created['news_api']}", {"key_name": "renamed"}, format="json"))
    responses.append(api.patch(f"{URL}{created['news_api']}", {"api_key": VALID_KEYS["news_api"]}, format="json"))
    responses.append(api.delete(f"{URL}{created['google_api']}"))
    return responses


def plaintexts() -> list[str]:
    return [*VALID_KEYS.values(), WRONG_FMP_KEY]


@pytest.mark.django_db
@pytest.mark.usefixtures("quick_passwords")
def test_a_full_workflow_logged_at_debug_leaves_no_key_in_any_record(api, fake_providers, caplog):
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # every SQL statement with its parameters
    try:
        responses = full_workflow(api, fake_providers)
    finally:
        connection.force_debug_cursor = False
        for name in LOGGERS[1:]:
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert [r.status_code for r in responses].count(201) == 6
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    # the capture really saw the calls, the FMP query string and the SQL
    assert "/stable/quote?symbol=AAPL&apikey=" in text
    assert "apikeys_serviceapikey" in text
    assert any(r.name == "urllib3.connectionpool" for r in caplog.records)
    for plaintext in plaintexts():
        assert plaintext not in text


@pytest.mark.django_db
@pytest.mark.usefixtures("quick_passwords")
def test_no_vault_response_shows_more_than_the_masked_key(api, fake_providers):
    responses = full_workflow(api, fake_providers)
    for response in responses:
        content = response.content.decode()
        for plaintext in plaintexts():
            assert plaintext not in content
            assert plaintext[-5:] not in content  # not even five trailing characters
    masked = {k["key_type"]: k["masked_key"] for k in api.get(URL, {"include_inactive": "true"}).json()}
    assert masked["news_api"] == "****" + VALID_KEYS["news_api"][-4:]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("quick_passwords")
def test_the_database_holds_only_ciphertext(api, fake_providers, tmp_path):
    full_workflow(api, fake_providers)
    tokens = list(ServiceApiKey.objects.values_list("key_encrypted", flat=True))
    assert len(tokens) == 6 and all(t.startswith("gAAAAA") for t in tokens)
    if connection.vendor == "sqlite":
        # The test database lives in memory: copy it, page by page, into a real file.
        copy = tmp_path / "vault.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(copy) as target:
            connection.connection.backup(target)
        raw = copy.read_bytes()
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT row_to_json(t)::text FROM apikeys_serviceapikey t")
            raw = "\n".join(row[0] for row in cursor.fetchall()).encode()
    assert tokens[0].encode() in raw  # the copy really holds the vault table
    for plaintext in plaintexts():
        assert plaintext.encode() not in raw
