"""The service over real HTTP: a ``posescore serve`` process on loopback, SQLite and PostgreSQL."""

import io

import httpx
import pytest
from api_support import (
    DATABASES,
    add_done_job,
    running_server,
    score_with_strides,
    wait_for_comparison,
    wait_for_job,
    write_blank_video,
)

PATIENT = "PX-roundtrip-17"
CLIENT_FILE_NAME = "secret_patient_name_pre.mp4"
CONTRACT_BLOCKS = {"video", "task", "view", "quality", "gait", "legs", "affected_side",
                   "features", "model", "timings"}


@pytest.fixture(scope="module", params=DATABASES)
def server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"server_{request.param}")
    with running_server(tmp, request.param, POSESCORE_MAX_UPLOAD_MB="2") as (srv, key):
        yield srv, key


@pytest.fixture
def client(server):
    srv, key = server
    with httpx.Client(base_url=srv.url, headers={"X-API-Key": key}, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def clips(phantom_clips):
    return {
        "pre": phantom_clips("pre", "right", 3.0, seed=41),
        "post": phantom_clips("post", "right", 1.0, seed=42),
    }


def submit(client, content, phase="pre", patient="P-1", name="clip.mp4", **fields):
    data = {"patient": patient, "session": "day1", "phase": phase, **fields}
    return client.post("/v1/jobs", data=data, files={"video": (name, content, "video/mp4")})


def uploads(server):
    folder = server[0].env["POSESCORE_DATA_DIR"] + "/uploads"
    import os

    return os.listdir(folder) if os.path.isdir(folder) else []


def test_health_and_ready_need_no_key(server):
    srv, _ = server
    assert httpx.get(srv.url + "/health").json() == {"status": "ok"}
    ready = httpx.get(srv.url + "/ready").json()
    assert ready["status"] == "ready" and ready["workers"] == 1
    assert "/v1/jobs" in httpx.get(srv.url + "/openapi.json").json()["paths"]
    assert "<form" in httpx.get(srv.url + "/").text


def test_security_headers_on_every_route(server):
    srv, key = server
    calls = [("GET", "/", {}, 200), ("GET", "/health", {}, 200), ("GET", "/openapi.json", {}, 200),
             ("GET", "/v1/model", {"X-API-Key": key}, 200),
             ("GET", "/v1/jobs/nope", {"X-API-Key": key}, 404),
             ("POST", "/v1/jobs", {}, 401), ("GET", "/docs", {}, 404)]  # /docs off by default
    for method, path, headers, status in calls:
        r = httpx.request(method, srv.url + path, headers=headers)
        assert r.status_code == status, path
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert (r.headers.get("cache-control") == "no-store") is path.startswith("/v1/")
    page = httpx.get(srv.url + "/")
    # the page runs only its own files: no inline script or style, nothing from elsewhere
    assert "<script>" not in page.text and "<style>" not in page.text and "style=" not in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]
    for asset in ("app.js", "util.js", "chart.js", "visit.js", "upload.js", "app.css"):
        served = httpx.get(f"{srv.url}/static/{asset}")
        assert served.status_code == 200, asset
        assert "http://" not in served.text and "https://" not in served.text, asset


def test_v1_refuses_missing_or_wrong_key(server):
    srv, key = server
    for headers in ({}, {"X-API-Key": "psk_wrong"}, {"X-API-Key": key[:-1]}):
        r = httpx.get(srv.url + "/v1/model", headers=headers)
        assert r.status_code == 401 and "X-API-Key" in r.json()["detail"]
    r = httpx.post(srv.url + "/v1/jobs", data={"patient": "P", "session": "s", "phase": "pre"},
                   files={"video": ("a.mp4", b"\x00" * 1000)})
    assert r.status_code == 401


def test_model_card(client):
    card = client.get("/v1/model").json()
    assert card["name"] == "api-test-small" and card["clinically_validated"] is False
    assert card["measures"]


def test_oversized_upload_is_refused(client, server):
    big = b"\x00\x00\x00\x20ftypisom" + b"\x00" * (3 * 1024 * 1024)
    r = submit(client, big)
    assert r.status_code == 413 and "limit is 2 MB" in r.json()["detail"]

    def chunks():  # no Content-Length: counted while streaming
        form = (b"--b\r\nContent-Disposition: form-data; name=\"video\"; filename=\"a.mp4\"\r\n"
                b"Content-Type: video/mp4\r\n\r\n")
        yield form + b"\x00\x00\x00\x20ftypisom"
        for _ in range(30):
            yield b"\x00" * (128 * 1024)

    r = client.post("/v1/jobs", content=chunks(),
                    headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    assert uploads(server) == []


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, b"name,score\nP1,3\n" * 20],
    ids=["png", "text"],
)
def test_non_video_is_refused_before_queueing(client, server, content):
    r = submit(client, content, name=CLIENT_FILE_NAME)
    assert r.status_code == 415, r.text
    assert "not a supported video" in r.json()["detail"]
    assert uploads(server) == []


@pytest.mark.parametrize(
    "content,reason",
    [
        (b"\x00\x00\x00\x20ftypisom" + bytes(range(256)) * 40, "truncated or corrupt video"),
        ((b"\x0e\xbf\x46\x22\x47" + bytes(187)) * 40, "not a video"),
    ],
    ids=["corrupt-mp4", "corrupt-avchd-m2ts"],
)
def test_corrupt_video_is_accepted_and_its_job_fails_in_the_worker(client, server, content,
                                                                   reason):
    r = submit(client, content, name=CLIENT_FILE_NAME)
    assert r.status_code == 202, r.text  # the API checks the signature only; a worker probes
    status = wait_for_job(client, r.json()["job_id"], timeout_s=60)
    assert status["status"] == "failed" and status["error"].startswith(reason)
    assert "the upload" in status["error"] and CLIENT_FILE_NAME not in status["error"]
    result = client.get(f"/v1/jobs/{r.json()['job_id']}/result")
    assert result.status_code == 422 and reason in result.json()["detail"]
    assert uploads(server) == []


@pytest.mark.parametrize(
    "fields,where",
    [({"phase": "during"}, "phase"), ({"patient": "John Smith"}, "patient"),
     ({"task": "dance"}, "task")],
)
def test_bad_metadata_is_refused(client, server, fields, where):
    r = submit(client, io.BytesIO(b"\x00\x00\x00\x20ftypisom" + bytes(300)), **fields)
    assert r.status_code == 422 and where in r.json()["detail"]
    assert uploads(server) == []


def test_unknown_ids_are_404(client, server):
    assert client.get("/v1/jobs/nope").status_code == 404
    expected = "GET /v1/jobs/{job_id} 404"  # the route, not the id
    assert expected in server[0].log_after(expected)
    assert client.get("/v1/comparisons/nope").status_code == 404
    assert client.post("/v1/patients/sessions", json={"patient": "nobody"}).status_code == 404
    r = client.post("/v1/comparisons", json={"pre_job_id": "a", "post_job_id": "b"})
    assert r.status_code == 404


LEG_CHANGE_FIELDS = {"pre", "post", "change", "ci95", "effect_size_sem", "mdc95", "mdc_class",
                     "beyond_noise", "direction", "reason"}


def test_comparison_has_ci_mdc_and_verdict(client, server):
    srv, _ = server
    steady = [1, 2, 3, 2, 1, 2]
    ids = {
        "pre": add_done_job(srv, "P-cmp", "pre", score_with_strides(
            [20, 22, 24, 21, 23, 22], steady, path=CLIENT_FILE_NAME)),
        "post": add_done_job(srv, "P-cmp", "post", score_with_strides(
            [2, 4, 3, 1, 2, 3], steady, seed=1, path=CLIENT_FILE_NAME)),
    }
    r = client.post("/v1/comparisons", json={"pre_job_id": ids["pre"], "post_job_id": ids["post"]})
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/v1/comparisons/{r.json()['comparison_id']}"
    done = wait_for_comparison(client, r.json()["comparison_id"])
    assert done["status"] == "done" and done["error"] is None
    comparison = done["comparison"]
    assert comparison["schema"] == "posescore-compare/2"
    for side in ("left", "right"):
        leg = comparison["legs"][side]
        assert set(leg) == LEG_CHANGE_FIELDS
        assert leg["ci95"][0] <= leg["change"] <= leg["ci95"][1] and leg["mdc95"] is not None
    pf = next(f for f in comparison["features"] if f["name"] == "left_ankle_plantarflexion_hs_deg")
    assert pf["beyond_noise"] and pf["direction"] == "decrease" and pf["mdc95"] > 0
    assert comparison["bootstrap"]["n_resamples"] > 0 and comparison["mdc"]["n_pairs"] > 0
    assert comparison["model"]["name"] == "api-test-small"
    text = str(done)
    assert CLIENT_FILE_NAME not in text and "'path'" not in text
    again = client.get(f"/v1/comparisons/{r.json()['comparison_id']}").json()
    assert again["comparison"] == comparison  # stored, not recomputed differently

    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["LegChange"]["properties"]) == LEG_CHANGE_FIELDS
    path = schemas["SessionInfo"]["properties"]["path"]  # shared with the CLI's --show-path
    assert "path" not in schemas["SessionInfo"]["required"] and "never" in path["description"]


def test_comparison_of_scores_without_strides_fails_with_a_message(client, server):
    srv, _ = server
    ids = {}
    for phase in ("pre", "post"):
        result = score_with_strides([10, 11, 12], [10, 11, 12])
        del result["strides"]  # scored by an older posescore
        ids[phase] = add_done_job(srv, "P-old", phase, result)
    r = client.post("/v1/comparisons", json={"pre_job_id": ids["pre"], "post_job_id": ids["post"]})
    assert r.status_code == 202
    body = wait_for_comparison(client, r.json()["comparison_id"])
    assert body["status"] == "failed" and body["comparison"] is None
    assert "per-stride values" in body["error"]


def test_scores_of_an_older_schema_are_gone_and_not_compared(client, server):
    srv, _ = server
    old = {**score_with_strides([10, 11, 12], [10, 11, 12]), "schema_version": "1"}
    ids = {phase: add_done_job(srv, "P-v1", phase, old) for phase in ("pre", "post")}
    r = client.get(f"/v1/jobs/{ids['pre']}/result")
    assert r.status_code == 410 and "submit the video again" in r.json()["detail"]
    r = client.post("/v1/comparisons", json={"pre_job_id": ids["pre"], "post_job_id": ids["post"]})
    assert r.status_code == 202
    body = wait_for_comparison(client, r.json()["comparison_id"])
    assert body["status"] == "failed" and "re-score" in body["error"]


def test_comparison_that_crashes_is_stored_as_failed_not_a_500(client, server):
    srv, _ = server
    ids = {}
    for phase in ("pre", "post"):
        result = score_with_strides([10, 11, 12], [10, 11, 12])
        result["strides"]["left"]["stride_time_s"] = []  # corrupt: one stride list emptied
        ids[phase] = add_done_job(srv, "P-corrupt", phase, result)
    r = client.post("/v1/comparisons", json={"pre_job_id": ids["pre"], "post_job_id": ids["post"]})
    assert r.status_code == 202
    again = wait_for_comparison(client, r.json()["comparison_id"])
    assert again["status"] == "failed" and "internal error" in again["error"]
    assert client.get(f"/v1/comparisons/{r.json()['comparison_id']}").status_code == 200


@pytest.mark.slow
def test_a_visit_of_a_side_and_a_front_clip_is_fused_from_their_real_scores(client, phantom_clips):
    """One walk (left leg severity 3) filmed from the right side and the front, through
    MediaPipe: the left leg is the side view's far leg, so only the front clip judges it."""
    views = ("sagittal_right", "frontal")
    jobs = {}
    for view in views:
        clip = phantom_clips(f"visit_{view}", "left", 3.0, seed=43, view=view)
        with open(clip, "rb") as fh:
            r = submit(client, fh, patient="P-visit", name=f"{view}.mp4", view=view)
        assert r.status_code == 202, r.text
        jobs[view] = r.json()["job_id"]
    for job_id in jobs.values():
        assert wait_for_job(client, job_id)["status"] == "done"
    legs = {v: client.get(f"/v1/jobs/{j}/result").json()["legs"] for v, j in jobs.items()}

    r = client.post("/v1/patients/visit",
                    json={"patient": "P-visit", "session": "day1", "phase": "pre"})
    assert r.status_code == 200, r.text
    visit = r.json()
    assert {(c["view_stated"], c["view"], c["scorable"]) for c in visit["clips"]} == {
        (v, v, True) for v in views}
    fused = {side: visit["legs"][side]["by_task"]["walk_forward"] for side in ("left", "right")}
    weights = {side: {c["view"]: c["weight"] for c in f["clips"]} for side, f in fused.items()}
    assert weights["left"] == {"sagittal_right": 0.0, "frontal": 1.0}  # the far leg left out
    assert fused["left"]["severity"] == pytest.approx(legs["frontal"]["left"]["severity"])
    assert visit["legs"]["left"]["severity"] == pytest.approx(fused["left"]["severity"])
    assert min(weights["right"].values()) > 0 and sum(weights["right"].values()) == \
        pytest.approx(1.0)
    readings = [legs[v]["right"]["severity"] for v in views]
    assert min(readings) - 1e-9 <= fused["right"]["severity"] <= max(readings) + 1e-9
    listed = client.post("/v1/patients/visits", json={"patient": "P-visit"}).json()["visits"]
    assert [(v["session"], v["ready"]) for v in listed] == [("day1", True)]
    assert listed[0]["legs"]["left"]["severity"] == pytest.approx(fused["left"]["severity"])


@pytest.mark.slow
def test_round_trip_pre_post(client, server, clips):
    ids = {}
    for phase in ("pre", "post"):
        with open(clips[phase], "rb") as fh:
            r = submit(client, fh, phase=phase, patient=PATIENT, name=CLIENT_FILE_NAME)
        assert r.status_code == 202, r.text
        assert r.headers["Location"] == f"/v1/jobs/{r.json()['job_id']}"
        ids[phase] = r.json()["job_id"]
    assert client.get(f"/v1/jobs/{ids['pre']}/result").status_code in (200, 409)
    r = client.post("/v1/comparisons", json={"pre_job_id": ids["pre"], "post_job_id": ids["post"]})
    assert r.status_code == 202 and r.json()["status"] == "pending"
    comparison_id = r.json()["comparison_id"]
    swapped = client.post("/v1/comparisons",
                          json={"pre_job_id": ids["post"], "post_job_id": ids["pre"]})
    assert swapped.status_code == 422

    for phase in ("pre", "post"):
        status = wait_for_job(client, ids[phase])
        assert status["status"] == "done", status
        assert status["progress"] == 1.0 and status["attempts"] == 1
    results = {p: client.get(f"/v1/jobs/{i}/result").json() for p, i in ids.items()}
    for result in results.values():
        assert CONTRACT_BLOCKS <= set(result)
        assert result["quality"]["scorable"], result["quality"]["warnings"]
        assert result["model"]["clinically_validated"] is False
        assert CLIENT_FILE_NAME not in result["video"]["path"]

    comparison = wait_for_comparison(client, comparison_id)
    assert comparison["status"] == "done"
    for side in ("left", "right"):
        leg = comparison["comparison"]["legs"][side]
        pre = results["pre"]["legs"][side]["severity"]
        post = results["post"]["legs"][side]["severity"]
        assert leg["pre"] == pytest.approx(pre, abs=1e-3)  # re-predicted by the same model
        assert leg["post"] == pytest.approx(post, abs=1e-3)
        assert leg["change"] == pytest.approx(post - pre, abs=2e-3)
        assert set(leg) == LEG_CHANGE_FIELDS and leg["ci95"] is not None
        assert isinstance(leg["beyond_noise"], bool)
    assert comparison["comparison"]["features"]
    assert comparison["comparison"]["pre"]["n_strides"]["right"] >= 2
    assert CLIENT_FILE_NAME not in str(comparison)

    history = client.post("/v1/patients/sessions", json={"patient": PATIENT}).json()
    assert [s["session"] for s in history["sessions"]] == ["day1"]
    assert [t["phase"] for t in history["trend"]] == ["pre", "post"]
    assert history["trend"][0]["right_severity"] == results["pre"]["legs"]["right"]["severity"]

    assert uploads(server) == []  # deleted after scoring
    log = server[0].log_after("POST /v1/patients/sessions 200")
    assert PATIENT not in log and CLIENT_FILE_NAME not in log
    assert "OpenCV: FFMPEG" not in log and "inference_feedback" not in log  # overlays written
    assert "POST /v1/patients/sessions 200" in log


@pytest.mark.slow
def test_video_without_a_person_is_done_but_not_scorable(client, tmp_path):
    video = write_blank_video(tmp_path / "blank.mp4", seconds=1.0)
    with open(video, "rb") as fh:
        job_id = submit(client, fh, patient="P-blank").json()["job_id"]
    assert wait_for_job(client, job_id)["status"] == "done"
    result = client.get(f"/v1/jobs/{job_id}/result").json()
    assert result["quality"]["scorable"] is False and result["quality"]["warnings"]
    assert result["legs"]["left"]["severity"] is None


@pytest.mark.slow
def test_scoring_settings_are_read_once_at_start(tmp_path):
    """The upload check and the workers keep the settings the server started with."""
    config = tmp_path / "posescore.toml"
    config.write_text("[quality]\nmin_pose_fraction = 0.5\n")
    with running_server(tmp_path, "sqlite", POSESCORE_CONFIG=str(config)) as (srv, key):
        config.write_text("not toml ===")  # read again, it would fail every request
        with httpx.Client(base_url=srv.url, headers={"X-API-Key": key}, timeout=60) as c:
            corrupt = b"\x00\x00\x00\x20ftypisom" + bytes(range(256)) * 40
            accepted = submit(c, corrupt)
            assert accepted.status_code == 202  # the workers probe
            failed = wait_for_job(c, accepted.json()["job_id"])
            assert failed["status"] == "failed"
            assert failed["error"].startswith("truncated or corrupt video")  # not a config error
            video = write_blank_video(tmp_path / "blank.mp4", seconds=1.0)
            with open(video, "rb") as fh:
                job_id = submit(c, fh, patient="P-once").json()["job_id"]
            assert wait_for_job(c, job_id)["status"] == "done"
