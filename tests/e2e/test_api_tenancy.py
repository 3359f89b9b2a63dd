"""Tenant isolation over real HTTP: another tenant's jobs, comparisons and patients are 404."""

import httpx
import pytest
from api_support import (
    DATABASES,
    add_done_job,
    running_server,
    score_with_strides,
    write_blank_video,
)

STEADY = [1, 2, 3, 2, 1, 2]


@pytest.fixture(scope="module", params=DATABASES)
def tenants(request, tmp_path_factory):
    """A server and a client per tenant: ``a`` (clinic-a) and ``b`` (clinic-b)."""
    tmp = tmp_path_factory.mktemp(f"tenants_{request.param}")
    with running_server(tmp, request.param) as (srv, _):
        clients = {
            name: httpx.Client(base_url=srv.url, timeout=60,
                               headers={"X-API-Key": srv.create_key(tenant=f"clinic-{name}")})
            for name in ("a", "b")
        }
        yield srv, clients
        for client in clients.values():
            client.close()


def _pair(srv, patient, tenant):
    return [add_done_job(srv, patient, phase, score_with_strides(STEADY, STEADY), tenant)
            for phase in ("pre", "post")]


def test_another_tenants_job_and_comparison_read_as_unknown(tenants):
    srv, c = tenants
    pre, post = _pair(srv, "P-read", "clinic-a")
    comparison = c["a"].post("/v1/comparisons", json={"pre_job_id": pre, "post_job_id": post})
    assert comparison.status_code == 202
    comparison_id = comparison.json()["comparison_id"]
    assert c["a"].get(f"/v1/jobs/{pre}/result").status_code == 200
    for path, unknown in [(f"/v1/jobs/{pre}", "/v1/jobs/0123"),
                          (f"/v1/jobs/{pre}/result", "/v1/jobs/0123/result"),
                          (f"/v1/comparisons/{comparison_id}", "/v1/comparisons/0123")]:
        theirs, missing = c["b"].get(path), c["b"].get(unknown)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["detail"].replace(path.split("/")[3], "ID") == \
            missing.json()["detail"].replace("0123", "ID")


def test_comparing_another_tenants_job_is_404(tenants):
    srv, c = tenants
    theirs, _ = _pair(srv, "P-cmp", "clinic-a")
    _, mine = _pair(srv, "P-cmp", "clinic-b")
    r = c["b"].post("/v1/comparisons", json={"pre_job_id": theirs, "post_job_id": mine})
    assert r.status_code == 404 and r.json()["detail"] == f"no job {theirs}"


def test_another_tenants_patient_is_unknown(tenants):
    srv, c = tenants
    _pair(srv, "P017", "clinic-a")
    assert len(c["a"].post("/v1/patients/sessions", json={"patient": "P017"}).json()["trend"]) == 2
    theirs = c["b"].post("/v1/patients/sessions", json={"patient": "P017"})
    missing = c["b"].post("/v1/patients/sessions", json={"patient": "P-nobody"})
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_upload_under_another_tenants_pseudonym_is_a_separate_patient(tenants, tmp_path):
    srv, c = tenants
    a_jobs = set(_pair(srv, "P-shared", "clinic-a"))
    video = write_blank_video(tmp_path / "blank.mp4", seconds=0.5)
    with open(video, "rb") as fh:
        r = c["b"].post("/v1/jobs", data={"patient": "P-shared", "session": "s1", "phase": "pre"},
                        files={"video": ("v.mp4", fh, "video/mp4")})
    assert r.status_code == 202, r.text
    b_job = r.json()["job_id"]

    def job_ids(client):
        body = client.post("/v1/patients/sessions", json={"patient": "P-shared"}).json()
        return {job["job_id"] for s in body["sessions"] for job in s["jobs"]}

    assert job_ids(c["a"]) == a_jobs
    assert job_ids(c["b"]) == {b_job}
    assert c["a"].get(f"/v1/jobs/{b_job}").status_code == 404
