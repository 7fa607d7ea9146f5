"""Start-up refuses missing or weak secrets, naming the variable and never its value."""
from __future__ import annotations

import json

import pytest

from tests.support.processes import run_manage, run_python, strong_env

SETUP = "import django; django.setup(); print('started')"

pytestmark = pytest.mark.own_services  # every test starts Django in a subprocess of its own environment


def test_strong_secrets_start():
    result = run_python(SETUP, strong_env())
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    "variable,value",
    [
        ("SECRET_KEY", None),
        ("SECRET_KEY", ""),
        ("SECRET_KEY", "short-key"),
        ("SECRET_KEY", "django-insecure-" + "abcdefghij" * 5),
        ("SECRET_KEY", "a" * 80),
        ("API_KEY_PEPPER", None),
        ("API_KEY_PEPPER", "too-short-pepper"),
        ("API_KEY_PEPPER_PREVIOUS", "short-old-pepper"),
        ("FERNET_KEYS", None),
        ("FERNET_KEYS", "not-a-fernet-key"),
        ("FERNET_KEYS", "dGhpcyBpcyAxNiBieXRlcw=="),
    ],
)
def test_missing_or_weak_secret_stops_start_up_naming_the_variable(variable, value):
    result = run_python(SETUP, strong_env(**{variable: value}))
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr
    if value:
        assert value not in result.stderr


def test_debug_mode_tolerates_a_weak_secret_key_but_never_a_missing_pepper():
    assert run_python(SETUP, strong_env(DEBUG="True", SECRET_KEY="dev")).returncode == 0
    result = run_python(SETUP, strong_env(DEBUG="True", API_KEY_PEPPER=None))
    assert result.returncode != 0 and "API_KEY_PEPPER" in result.stderr


def test_check_deploy_is_clean_with_the_documented_production_variables():
    env = strong_env(DEBUG="False", HTTPS_ONLY="True", ALLOWED_HOSTS="keyward.example.com")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ALLOWED_HOSTS=from-file.example\nALLOW_SIGNUP=True\n")
    env = strong_env(KEYWARD_ENV_FILE=str(env_file), ALLOWED_HOSTS="from-env.example")
    code = "import django; django.setup(); from django.conf import settings; print(settings.ALLOWED_HOSTS, settings.ALLOW_SIGNUP)"
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['from-env.example'] True"


def test_the_asgi_application_loads_every_view_and_freezes_start_up_objects(tmp_path):
    # What start-up made lives as long as the process: a full garbage collection must not
    # walk it again and again (each such walk pauses every request in flight).
    env = strong_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run_python(
        "import gc, sys; import config.asgi; "
        "print(gc.get_freeze_count(), 'trading.views' in sys.modules, 'agents.views' in sys.modules)", env
    )
    assert result.returncode == 0, result.stderr
    frozen, trading_views, agents_views = result.stdout.split()
    assert int(frozen) > 50_000 and trading_views == agents_views == "True"


@pytest.mark.parametrize(
    "variable,value,kind",
    [
        ("CONN_MAX_AGE", "1.5", "a whole number"),
        ("INVALID_APIKEY_RECHECK_SECONDS", "qqq-seconds", "a number"),
        # django-environ read these as 1000.0, 1.5 and 13.0: start-up with the wrong figure.
        ("SANDBOX_STARTING_CASH", "1,000,000", "a number"),
        ("PROVIDER_TIMEOUT_SECONDS", "1,5s", "a number"),
        ("FEED_TICKS_PER_SECOND", "1x3", "a number"),
        ("PROVIDER_TIMEOUT_SECONDS", "inf", "a number"),
        ("SANDBOX_STARTING_CASH", "nan", "a number"),
        ("HTTPS_ONLY", "ture", "true or false"),  # would have read as False: no HTTPS protections
        ("DEBUG", "maybe", "true or false"),
        ("DATABASE_URL", "not-a-url", "a database URL"),
        ("INVALID_APIKEY_SHARED_SOURCES", "52.89.214.238,tradingview.com", "IP addresses or networks"),
        ("DATABASE_URL", "postgres://keyward:s3cret-db-pw@db:port/keyward", "a database URL"),
    ],
)
def test_an_unreadable_setting_stops_start_up_naming_the_variable_and_its_kind(variable, value, kind):
    result = run_python(SETUP, strong_env(**{variable: value}))
    assert result.returncode != 0 and "started" not in result.stdout
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert variable in message and kind in message
    assert value not in result.stderr  # a database URL can carry a password


@pytest.mark.parametrize("value", ["true", "False", "on", "off", "1", "0", "yes", "no", ""])
def test_the_usual_ways_of_writing_a_boolean_still_start(value):
    result = run_python(SETUP, strong_env(HTTPS_ONLY=value))
    assert result.returncode == 0, result.stderr


def test_shared_sources_start_as_networks():
    code = "import django; django.setup(); from django.conf import settings as s; print(*s.INVALID_APIKEY_SHARED_SOURCES)"
    result = run_python(code, strong_env(INVALID_APIKEY_SHARED_SOURCES="52.89.214.238, 10.0.0.0/8,2001:db8::/32,"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["52.89.214.238/32", "10.0.0.0/8", "2001:db8::/32"]


def test_numbers_start_as_written():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SANDBOX_STARTING_CASH, s.PROVIDER_TIMEOUT_SECONDS, s.FEED_TICKS_PER_SECOND, s.WS_AUTH_GRACE_SECONDS)"
    )
    env = strong_env(SANDBOX_STARTING_CASH="2_500_000", PROVIDER_TIMEOUT_SECONDS=" 2.5 ",
                     FEED_TICKS_PER_SECOND="1e1", WS_AUTH_GRACE_SECONDS="7")
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2500000.0", "2.5", "10.0", "7.0"]


@pytest.mark.parametrize("pool, health_checks", [("True", False), ("False", True)])
def test_a_postgresql_url_gets_djangos_own_backend_with_timeouts(pool, health_checks):
    """Django's PostgreSQL backend as shipped: pooled (the pool hands connections back and
    forth; no check before use, which would run with no deadline) or connecting per request
    with health checks; connect and statement timeouts either way. Settings only."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
        "o = d['OPTIONS']; print(json.dumps([d['ENGINE'], 'pool' in o, d['CONN_HEALTH_CHECKS'], d['CONN_MAX_AGE'], "
        "o['connect_timeout'], o['options']]))"
    )
    result = run_python(code, strong_env(DATABASE_URL="postgres://keyward@127.0.0.1:5432/keyward", DATABASE_POOL=pool,
                                         DATABASE_STATEMENT_TIMEOUT="2.5", CONN_MAX_AGE="60"))
    assert result.returncode == 0, result.stderr
    # CONN_MAX_AGE applies without the pool only: Django refuses it with one (every query fails).
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "django.db.backends.postgresql", pool == "True", health_checks, 0 if pool == "True" else 60, 5,
        "-c statement_timeout=2500",
    ]
