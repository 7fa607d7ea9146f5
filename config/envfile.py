"""Write a `.env` with fresh random secrets when none exists (run by `make run`/`make test`),
and find and read it for settings and the start-up code that runs before them.

Standalone on purpose: it runs before Django can start, because settings refuse to
load without these secrets. An existing file is never touched: it holds the keys that
decrypt every stored secret.
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

TEMPLATE = """\
# Keyward configuration, written {reason}.
# BACK THIS FILE UP: losing API_KEY_PEPPER or FERNET_KEYS makes every stored key unusable.
SECRET_KEY={secret_key}
API_KEY_PEPPER={pepper}
# Comma-separated; the first encrypts, all decrypt (rotate with manage.py rotate_encryption_keys).
FERNET_KEYS={fernet_key}
DEBUG=False
ALLOWED_HOSTS=127.0.0.1,localhost
# Set HTTPS_ONLY=True behind TLS in production (secure cookies, HSTS, SSL redirect).
HTTPS_ONLY=False
ALLOW_SIGNUP=False
# DATABASE_URL=postgres://user:password@127.0.0.1:5432/keyward
# REDIS_URL=redis://127.0.0.1:6379/0
"""


def render(reason: str) -> str:
    return TEMPLATE.format(
        reason=reason,
        secret_key=secrets.token_urlsafe(64),
        pepper=secrets.token_urlsafe(48),
        fernet_key=Fernet.generate_key().decode(),
    )


def ensure_env_file(path: Path) -> bool:
    """Create ``path`` with fresh secrets if absent. True when a file was written."""
    if path.exists():
        return False
    path.write_text(render("by `make` because none existed"))
    path.chmod(0o600)
    return True


def env_file_path() -> Path:
    """The file settings read: KEYWARD_ENV_FILE (tests, unusual installs), else .env."""
    return Path(os.environ.get("KEYWARD_ENV_FILE", Path(__file__).resolve().parent.parent / ".env"))


def load_into_environment() -> None:
    """The file's values into os.environ, under whatever the environment already says.
    Settings call it, and so does the start-up code that runs before them (config.serve,
    config.cluster)."""
    import environ

    path = env_file_path()
    if path.is_file():
        environ.Env.read_env(str(path))  # never overrides what the environment already says


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if ensure_env_file(target):
        print(f"Wrote {target} with fresh random SECRET_KEY, API_KEY_PEPPER and FERNET_KEYS. Back it up.")
