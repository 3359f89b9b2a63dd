"""Deleting a job or erasing a patient removes everything derived from the upload."""

import hashlib
from pathlib import Path

import httpx
import pytest
from api_support import (
    add_done_job,
    running_server,
    score_with_strides,
    wait_for_job,
    write_blank_video,
)

STEADY = [1, 2, 3, 2, 1, 2]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("retention")
    with running_server(tmp, "sqlite", POSESCORE_RETAIN_UPLOADS="true") as (srv, key):
        admin = srv.create_key("records", scopes="submit,read,admin")
        with httpx.Client(base_url=srv.url, headers={"X-API-Key": admin}, timeout=60) as client:
            yield srv, client, key


def files_holding(folder: Path, needle: bytes, digest: str) -> list[Path]:
    """Files under ``folder`` containing ``needle``, named after it or with SHA-256 ``digest``."""
    found = []
    for path in (p for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes()
        if needle in content or needle.decode() in path.name or \
                hashlib.sha256(content).hexdigest() == digest:
            found.append(path)
    return found


def test_deleting_a_job_leaves_no_trace_of_the_upload(server, tmp_path):
    srv, client, _ = server
    video = write_blank_video(tmp_path / "walk.mp4", seconds=0.5)
    digest = hashlib.sha256(video.read_bytes()).hexdigest()
    with open(video, "rb") as fh:
        r = client.post("/v1/jobs", data={"patient": "P-del", "session": "s", "phase": "pre"},
                        files={"video": ("walk.mp4", fh, "video/mp4")})
    job_id = r.json()["job_id"]
    assert wait_for_job(client, job_id)["status"] == "done"
    assert client.get(f"/v1/jobs/{job_id}/result").json()["video"]["sha256"] == digest
    post = add_done_job(srv, "P-del", "post", score_with_strides(STEADY, STEADY))
    comparison = client.post("/v1/comparisons", json={"pre_job_id": job_id, "post_job_id": post})
    data, cache = Path(srv.env["POSESCORE_DATA_DIR"]), Path(srv.env["POSESCORE_CACHE"])
    assert files_holding(data, digest.encode(), digest)  # the kept video and the score
    overlay = data / "overlays" / f"{job_id}.webm"
    assert overlay.stat().st_size > 0  # the worker rendered it

    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert client.get(f"/v1/jobs/{job_id}").status_code == 404
    assert client.get(f"/v1/comparisons/{comparison.json()['comparison_id']}").status_code == 404
    assert client.get(f"/v1/jobs/{post}").status_code == 200  # the other job stays
    assert files_holding(data, digest.encode(), digest) == []
    assert not overlay.exists()
    assert not cache.exists() or files_holding(cache, digest.encode(), digest) == []
    assert not cache.exists() or not any(cache.rglob("*.npz"))  # no pose cache written
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 404


def test_erasing_a_patient_removes_every_job_and_comparison(server):
    srv, client, submitter = server
    jobs = [add_done_job(srv, "P-erase", phase, score_with_strides(STEADY, STEADY))
            for phase in ("pre", "post")]
    other_tenant = add_done_job(srv, "P-erase", "pre", score_with_strides(STEADY, STEADY),
                                tenant="clinic-b")
    comparison = client.post("/v1/comparisons", json={"pre_job_id": jobs[0],
                                                      "post_job_id": jobs[1]}).json()
    r = httpx.post(srv.url + "/v1/patients/erase", json={"patient": "P-erase"},
                   headers={"X-API-Key": submitter})
    assert r.status_code == 403 and "'admin' scope" in r.json()["detail"]

    r = client.post("/v1/patients/erase", json={"patient": "P-erase"})
    assert r.status_code == 200 and r.json() == {"erased_jobs": 2}
    assert client.post("/v1/patients/sessions", json={"patient": "P-erase"}).status_code == 404
    assert client.get(f"/v1/comparisons/{comparison['comparison_id']}").status_code == 404
    assert client.post("/v1/patients/erase", json={"patient": "P-erase"}).status_code == 404
    from api.db import Job, make_engine, make_sessionmaker

    engine = make_engine(srv.env["POSESCORE_DATABASE_URL"])
    with make_sessionmaker(engine)() as db:
        assert db.get(Job, other_tenant) is not None  # clinic-b's patient of that pseudonym
    engine.dispose()
