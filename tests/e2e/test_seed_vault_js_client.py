"""The vault's reference JavaScript client (its APIKeyService class, verbatim; docs/api/vault.md) run by node against
a live Keyward: create, test, list, then delete and getAllAPIKeys(true), as the vault's
soft delete ("marks as inactive") promises."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).with_name("seed_vault_client.mjs")


def test_the_seeds_javascript_workflow_sees_a_deleted_key_as_inactive(keyward_server, make_account):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: run `bash tests/e2e/setup.sh` (make e2e does)")
    account = make_account("seedjs")
    token = httpx.post(f"{keyward_server.url}/api/v1/auth/token/",
                       json={"username": account.username, "password": account.password}, timeout=30).json()["access"]
    done = subprocess.run([node, str(SCRIPT), keyward_server.url, token], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)

    key = out["newKey"]
    assert key["key_type"] == "news_api" and key["is_active"] is True and key["masked_key"] == "****-key"
    assert out["testResult"]["status"] == "success" and out["testResult"]["service"] == "news_api"
    assert [k["id"] for k in out["allKeys"]] == [key["id"]]
    assert out["deleted"] == {"status": 204, "body": None}
    assert out["activeAfterDelete"] == []
    (listed,) = out["allAfterDelete"]
    assert listed["id"] == key["id"] and listed["is_active"] is False and listed["masked_key"] == "****-key"
    assert out["fetchedAfterDelete"]["status"] == 200 and out["fetchedAfterDelete"]["body"]["is_active"] is False
    assert out["restored"]["status"] == 200 and out["restored"]["body"]["is_active"] is True
    assert [k["id"] for k in out["activeAfterRestore"]] == [key["id"]]
    assert "your-api-key" not in done.stdout  # only ever masked
