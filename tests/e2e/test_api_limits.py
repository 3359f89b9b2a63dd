"""Refuse before reading: key, content type and size checked before the body is read; uploads
stored privately, orphans swept at start."""

import os
import stat
import time
from pathlib import Path

import httpx
import pytest
from api_support import running_server, wait_for_job, write_blank_video
from fastapi import HTTPException

from api.settings import ApiSettings
from api.uploads import check_free_space

MB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("limits")
    uploads = tmp / "data" / "uploads"
    uploads.mkdir(parents=True)
    for orphan in ("crashed.part", "0123abcd.mp4"):  # left by a killed server
        (uploads / orphan).write_bytes(b"x")
    with running_server(tmp, "sqlite", POSESCORE_RETAIN_UPLOADS="true") as (srv, key):
        yield srv, key


def rss_kb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])


@pytest.mark.parametrize("path,kind", [("/v1/jobs", "multipart/form-data; boundary=b"),
                                       ("/v1/comparisons", "application/json")])
def test_a_large_keyless_body_is_refused_without_reading_it(server, path, kind):
    srv, _ = server
    before = rss_kb(srv.proc.pid)
    chunk = b"\x00" * MB

    def body():  # 300 MB, streamed (chunked: no Content-Length to refuse it by)
        for _ in range(300):
            yield chunk

    start = time.monotonic()
    try:
        r = httpx.post(srv.url + path, content=body(), timeout=60, headers={"Content-Type": kind})
        status = r.status_code
    except httpx.TransportError as exc:  # the server closed the connection after its 401
        status = repr(exc)
    rise_mb = (rss_kb(srv.proc.pid) - before) / 1024
    print(f"{path}: RSS rise {rise_mb:.1f} MB, {time.monotonic() - start:.1f} s, answer {status}")
    assert status == 401
    assert rise_mb < 20


def test_json_bodies_are_capped_and_typed(server):
    srv, key = server
    with httpx.Client(base_url=srv.url, headers={"X-API-Key": key}) as client:
        r = client.post("/v1/comparisons", content=b"{" + b" " * (65 * 1024) + b"}",
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "64 KiB" in r.json()["detail"]
        r = client.post("/v1/comparisons", content=b"pre=a", headers={"Content-Type": "text/plain"})
        assert r.status_code == 415 and "application/json" in r.json()["detail"]
        r = client.post("/v1/jobs", json={"patient": "P1"})
        assert r.status_code == 415 and "multipart/form-data" in r.json()["detail"]
        r = client.post("/v1/jobs", content=b"x", headers={"Content-Type": "multipart/form-data"})
        assert r.status_code == 422 and "boundary" in r.json()["detail"]


def test_uploads_are_private_and_orphans_swept(server, tmp_path):
    srv, key = server
    data = Path(srv.env["POSESCORE_DATA_DIR"])
    assert sorted(os.listdir(data / "uploads")) == []  # swept at start
    video = write_blank_video(tmp_path / "blank.mp4", seconds=0.5)
    with httpx.Client(base_url=srv.url, headers={"X-API-Key": key}, timeout=60) as client:
        with open(video, "rb") as fh:
            r = client.post("/v1/jobs", data={"patient": "P1", "session": "s", "phase": "pre"},
                            files={"video": ("v.mp4", fh, "video/mp4")})
        assert r.status_code == 202, r.text
        assert wait_for_job(client, r.json()["job_id"])["status"] == "done"
    stored = list((data / "uploads").iterdir())
    assert len(stored) == 1 and stored[0].suffix == ".mp4"
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_short_of_disk_space_is_507(tmp_path):
    settings = ApiSettings(data_dir=tmp_path, min_free_disk_mb=1e12)
    with pytest.raises(HTTPException) as caught:
        check_free_space(settings, 10 * MB)
    assert caught.value.status_code == 507 and "POSESCORE_MIN_FREE_DISK_MB" in caught.value.detail
