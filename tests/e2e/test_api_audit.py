"""The audit log: every read or write of a patient's data, exported by ``posescore audit``."""

import csv
import io
import json
import subprocess
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from api_support import POSESCORE, add_done_job, running_server, score_with_strides

PATIENT = "P-audit-secret"
STEADY = [1, 2, 3, 2, 1, 2]


def cli(server, *args, check=True):
    return subprocess.run([POSESCORE, *args], env=server.env, capture_output=True, text=True,
                          check=check)


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """A server after a series of calls; yields it, the key ids by tenant and the job ids."""
    with running_server(tmp_path_factory.mktemp("audit"), "sqlite") as (srv, key_a):
        key_b = srv.create_key(tenant="clinic-b")
        ids = {row["tenant"]: int(row["id"]) for row in map(
            json.loads, cli(srv, "keys", "list", "--format", "jsonl").stdout.splitlines())}
        jobs = [add_done_job(srv, PATIENT, phase, score_with_strides(STEADY, STEADY))
                for phase in ("pre", "post")]
        a = httpx.Client(base_url=srv.url, headers={"X-API-Key": key_a})
        a.get(f"/v1/jobs/{jobs[0]}")
        a.get(f"/v1/jobs/{jobs[0]}/result")
        a.post("/v1/patients/sessions", json={"patient": PATIENT})
        comparison = a.post("/v1/comparisons", json={"pre_job_id": jobs[0], "post_job_id": jobs[1]})
        a.get(f"/v1/comparisons/{comparison.json()['comparison_id']}")
        a.get("/v1/model")  # no patient data: not audited
        httpx.get(f"{srv.url}/v1/jobs/{jobs[1]}", headers={"X-API-Key": key_b})
        httpx.get(f"{srv.url}/v1/jobs/{jobs[1]}")
        yield srv, ids, jobs, comparison.json()["comparison_id"]


def test_every_patient_data_call_is_logged(audited):
    srv, ids, jobs, comparison = audited
    out = cli(srv, "audit", "--since", "2000-01-01", "--format", "jsonl").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    got = [(r["key_id"], r["tenant"], r["action"], r["resource"], r["outcome"]) for r in rows]
    patient = rows[2]["resource"]
    assert patient.startswith("patient:") and len(patient) > 20
    a, b = ids["default"], ids["clinic-b"]
    assert got == [
        (a, "default", "job.read", jobs[0], 200),
        (a, "default", "job.result", jobs[0], 200),
        (a, "default", "patient.read", patient, 200),
        (a, "default", "comparison.create", comparison, 202),
        (a, "default", "comparison.read", comparison, 200),
        (b, "clinic-b", "job.read", jobs[1], 404),
        (None, None, "auth.refused", None, 401),
    ]
    assert all(datetime.fromisoformat(r["at"]).tzinfo is not None for r in rows)
    assert PATIENT not in out


def test_audit_exports_csv_from_a_time_on(audited):
    srv = audited[0]
    table = list(csv.DictReader(io.StringIO(cli(srv, "audit", "--since", "2000-01-01").stdout)))
    assert len(table) == 7 and list(table[0]) == ["at", "key_id", "tenant", "action",
                                                  "resource", "outcome"]
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert cli(srv, "audit", "--since", later).stdout.strip() == ",".join(table[0])


def test_audit_refuses_a_bad_time(audited):
    out = cli(audited[0], "audit", "--since", "yesterday", check=False)
    assert out.returncode == 1 and "not an ISO date" in out.stderr
