"""`make run`'s first-run .env: fresh random secrets, never overwriting an existing file."""
from __future__ import annotations

import stat

from config.envfile import ensure_env_file
from tests.support.processes import run_python, strong_env


def _values(path):
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))


def test_writes_fresh_secrets_that_settings_accept(tmp_path):
    first, second = tmp_path / "a.env", tmp_path / "b.env"
    assert ensure_env_file(first) and ensure_env_file(second)
    a, b = _values(first), _values(second)
    for name in ("SECRET_KEY", "API_KEY_PEPPER", "FERNET_KEYS"):
        assert a[name] and a[name] != b[name]
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    env = strong_env(KEYWARD_ENV_FILE=str(first), SECRET_KEY=None, API_KEY_PEPPER=None, FERNET_KEYS=None)
    result = run_python("import django; django.setup(); print('ok')", env)
    assert result.returncode == 0, result.stderr


def test_never_overwrites_an_existing_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text("SECRET_KEY=keep-me\n")
    assert ensure_env_file(path) is False
    assert path.read_text() == "SECRET_KEY=keep-me\n"
