"""Key lifecycle over real HTTP: revoked and expired keys get 401 at once, missing scopes 403."""

import json
import subprocess
import time

import httpx
import pytest
from api_support import POSESCORE, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("keys"), "sqlite") as (srv, _):
        yield srv


def keys(server, *args):
    out = subprocess.run([POSESCORE, "keys", *args], env=server.env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def get_model(server, key):
    return httpx.get(server.url + "/v1/model", headers={"X-API-Key": key})


def key_id(server, key):
    listed = [json.loads(line) for line in keys(server, "list", "--format", "jsonl").splitlines()]
    assert all(key not in json.dumps(row) for row in listed)
    return listed[-1]["id"]


def test_revoked_key_is_refused_at_once(server):
    key = keys(server, "create", "--name", "app", "--tenant", "clinic-a")
    assert get_model(server, key).status_code == 200
    number = key_id(server, key)
    assert keys(server, "revoke", number) == f"key {number} revoked"
    r = get_model(server, key)
    assert r.status_code == 401 and r.json()["detail"].startswith("API key revoked")


def test_rotated_key_replaces_the_old_one(server):
    old = keys(server, "create", "--name", "app", "--scopes", "read")
    new = keys(server, "rotate", key_id(server, old))
    assert get_model(server, old).status_code == 401
    assert get_model(server, new).status_code == 200
    row = json.loads(keys(server, "list", "--format", "jsonl").splitlines()[-1])
    assert (row["name"], row["scopes"], row["state"]) == ("app", "read", "active")
    assert row["last_used"] != "-"


def test_expired_key_is_refused(server):
    key = keys(server, "create", "--name", "brief", "--expires-days", "0.00002")  # 1.7 s
    time.sleep(2)
    r = get_model(server, key)
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_a_key_without_the_scope_gets_403(server):
    reader = {"X-API-Key": keys(server, "create", "--name", "r", "--scopes", "read")}
    submitter = {"X-API-Key": keys(server, "create", "--name", "s", "--scopes", "submit")}
    r = httpx.post(server.url + "/v1/comparisons", headers=reader,
                   json={"pre_job_id": "a", "post_job_id": "b"})
    assert r.status_code == 403 and "'submit' scope" in r.json()["detail"]
    r = httpx.post(server.url + "/v1/jobs", headers=reader, files={"video": ("a.mp4", b"x")})
    assert r.status_code == 403
    r = httpx.get(server.url + "/v1/jobs/abc", headers=submitter)
    assert r.status_code == 403 and "'read' scope" in r.json()["detail"]


def test_bad_scope_is_a_clear_cli_error(server):
    out = subprocess.run([POSESCORE, "keys", "create", "--name", "x", "--scopes", "root"],
                         env=server.env, capture_output=True, text=True)
    assert out.returncode == 1 and "scopes: choose among submit, read, admin" in out.stderr
    out = subprocess.run([POSESCORE, "keys", "revoke", "999"], env=server.env,
                         capture_output=True, text=True)
    assert out.returncode == 1 and "no API key with id 999" in out.stderr
