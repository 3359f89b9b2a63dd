"""Visits, visit comparison, a patient's course and the patient list (no MediaPipe: the jobs'
scores are stored in the database as a worker would have stored them)."""

from datetime import datetime, timedelta, timezone

import pytest
from api_support import (
    DATABASES,
    SIGNATURE_ONLY,
    apps_without_workers,
    fresh_database,
    key_for,
    migrated_database,
    queue_jobs,
    store_done_job,
    write_blank_video,
)
from contract_support import assert_matches_schema, clip_score
from sqlalchemy import select

from api.audit import patient_ref
from api.db import AuditEntry, Job
from api.jobs import run_job, service_score_settings
from api.leases import claim
from api.settings import ApiSettings
from api.visits import VisitJobs, session_numbers
from posescore.config import Settings

DROP = 2 * Settings().visit.mdc95
"""A post visit this much lower than its pre visit changed beyond noise."""


@pytest.fixture(scope="module", params=DATABASES)
def service(request, tmp_path_factory, small_model_path):
    """An app without workers on a fresh database; clients' keys of tenants a and b."""
    tmp = tmp_path_factory.mktemp(f"visits_{request.param}")
    with fresh_database(request.param, tmp) as url, \
            apps_without_workers(tmp / "data", small_model_path, url) as (app,):
        yield app, {t: key_for(app, f"clinic-{t}") for t in ("a", "b")}


def _store(app, patient, session, phase, view, left, right, tenant="clinic-a", **columns):
    """A done job whose clip, seen from ``view``, reads ``left``/``right`` (severity, interval)."""
    return store_done_job(app.app.state.sessionmaker, patient, phase,
                          clip_score(view, left, right).to_json(), tenant, session=session,
                          view=view, **columns)


def _near(s, width=0.4):
    return (s, [max(0.0, s - width), min(4.0, s + width)])


def _far(s):
    return (s, [max(0.0, s - 2.5), min(4.0, s + 2.5)])


def _two_sides(app, patient, session, phase, left, right, tenant="clinic-a"):
    """A visit filmed from both sides, each near leg reading its severity."""
    return [_store(app, patient, session, phase, "sagittal_left", _near(left), _far(right), tenant),
            _store(app, patient, session, phase, "sagittal_right", _far(left), _near(right),
                   tenant)]


def _post(app, key, path, body):
    return app.post(path, headers=key, json=body)


def test_a_visit_is_fused_from_its_jobs_and_lists_failed_and_waiting_ones(service):
    app, keys = service
    sm = app.app.state.sessionmaker
    side = _store(app, "P-fuse", "day1", "pre", "sagittal_left", (3.0, [2.4, 3.6]),
                  (0.1, [0.0, 3.0]))
    other = _store(app, "P-fuse", "day1", "pre", "sagittal_right", (0.3, [0.0, 3.0]),
                   (0.1, [0.0, 0.7]))
    front = _store(app, "P-fuse", "day1", "pre", "frontal", (2.0, [0.8, 3.2]), (0.2, [0.0, 1.2]))
    failed = store_done_job(sm, "P-fuse", "pre", None, "clinic-a", status="failed",
                            error="no person found in the upload", view="posterior")
    with sm() as db:  # a clip still waiting for a worker
        waiting = Job(id="f" * 32, tenant="clinic-a", status="queued", patient="P-fuse",
                      session="day1", phase="pre", task="walk_forward", upload_name="w.mp4")
        db.add(waiting)
        db.commit()
    r = _post(app, keys["a"], "/v1/patients/visit",
              {"patient": "P-fuse", "session": "day1", "phase": "pre"})
    assert r.status_code == 200, r.text
    visit = r.json()
    left = visit["legs"]["left"]
    weights = {c["video"]: c["weight"] for c in left["by_task"]["walk_forward"]["clips"]}
    assert weights[side] > weights[front] > weights[other]
    assert 2.3 < left["severity"] < 3.0 and visit["affected_side"] == "left"
    clips = {c["video"]: c for c in visit["clips"]}
    assert set(clips) == {side, other, front, failed}  # the queued job is not a clip yet
    assert clips[front]["view_stated"] == "frontal"
    assert clips[failed]["error"] == "no person found in the upload"
    assert not clips[failed]["scorable"]
    statuses = {j["job_id"]: j["status"] for j in visit["jobs"]}
    assert statuses[waiting.id] == "queued" and statuses[failed] == "failed"
    assert (visit["session"], visit["phase"]) == ("day1", "pre")
    assert "not clinically validated" in visit["summary"][-1]
    assert_matches_schema("visit", {k: v for k, v in visit.items()
                                    if k not in ("session", "phase", "jobs")})
    listed = _post(app, keys["a"], "/v1/patients/visits", {"patient": "P-fuse"}).json()
    assert listed["visits"][0]["clips"] == {"queued": 1, "running": 0, "done": 3, "failed": 1}
    assert not listed["visits"][0]["ready"] and listed["visits"][0]["legs"] is None
    assert "phantom" in listed["notice"] and "not clinically validated" in listed["notice"]


def test_a_leg_no_clip_can_judge_has_no_number(service):
    app, keys = service
    _store(app, "P-blind", "s1", "pre", "frontal", (None, None), (0.5, [0.0, 1.5]))
    visit = _post(app, keys["a"], "/v1/patients/visit",
                  {"patient": "P-blind", "session": "s1", "phase": "pre"}).json()
    left = visit["legs"]["left"]
    assert left["severity"] is None and not left["judged"] and "no clip" in left["reason"]
    assert visit["legs"]["right"]["severity"] == pytest.approx(0.5)
    listed = _post(app, keys["a"], "/v1/patients/visits", {"patient": "P-blind"}).json()
    legs = listed["visits"][0]["legs"]
    assert listed["visits"][0]["ready"]
    assert legs["left"] == {"severity": None, "severity_interval": None, "judged": False}
    assert legs["right"]["severity"] == pytest.approx(0.5)


def test_a_course_of_three_sessions_has_trends_and_per_session_changes(service):
    app, keys = service
    for session in (1, 2, 3):  # pre falls 3.3, 3.0, 2.7; post two MDC95 lower; right leg stays
        pre = 3.6 - 0.3 * session
        _two_sides(app, "P-course", f"day{session}", "pre", pre, 0.2)
        _two_sides(app, "P-course", f"day{session}", "post", round(pre - DROP, 2), 0.2)
    r = _post(app, keys["a"], "/v1/patients/course", {"patient": "P-course"})
    assert r.status_code == 200, r.text
    course = r.json()
    assert_matches_schema("visit_course", course)
    assert [(v["session"], v["phase"]) for v in course["visits"]] == \
        [(s, p) for s in (1, 2, 3) for p in ("pre", "post")]
    assert course["visits"][0]["visit"]["label"] == "day1"
    trend = {(t["phase"], t["measure"]): t for t in course["trends"]}
    assert trend[("pre", "left_severity")]["direction"] == "decreasing"
    assert trend[("pre", "left_severity")]["slope_per_session"] == pytest.approx(-0.3, abs=0.05)
    assert trend[("pre", "right_severity")]["direction"] == "no clear trend"
    assert [c["session"] for c in course["changes"]] == [1, 2, 3]
    assert all(c["legs"]["left"]["direction"] == "decrease" for c in course["changes"])
    assert not any(c["legs"]["right"]["beyond_noise"] for c in course["changes"])
    assert "not clinically validated" in course["summary"][-1]

    comparison = _post(app, keys["a"], "/v1/patients/visit-comparison", {
        "patient": "P-course", "pre": {"session": "day2", "phase": "pre"},
        "post": {"session": "day2", "phase": "post"}}).json()
    assert_matches_schema("visit_comparison", comparison)
    assert comparison["legs"]["left"]["direction"] == "decrease"
    assert comparison["legs"]["right"]["direction"] == "no change beyond noise"
    assert (comparison["pre"]["label"], comparison["post"]["label"]) == ("day2 pre", "day2 post")
    assert comparison["pre"]["n_clips"] == 2
    assert "not clinically validated" in comparison["summary"][-1]

    listed = _post(app, keys["a"], "/v1/patients/visits", {"patient": "P-course"}).json()
    assert [(v["session"], v["phase"]) for v in listed["visits"]] == \
        [(f"day{s}", p) for s in (1, 2, 3) for p in ("pre", "post")]
    assert listed["visits"][0]["legs"]["left"]["severity"] == \
        pytest.approx(course["visits"][0]["left_severity"])
    patients = _post(app, keys["a"], "/v1/patients/list", {}).json()["patients"]
    mine = next(p for p in patients if p["patient"] == "P-course")
    assert (mine["visits"], mine["clips"]) == (6, 12)
    assert mine["last_visit"] == listed["visits"][-1]["date"]


@pytest.mark.parametrize("labels,numbers", [
    (["day1", "day2", "day10"], [1, 2, 10]),
    (["s03", "s01", "s02"], [3, 1, 2]),  # uploaded out of order: the labels say the order
    (["1", "2.5"], [1, 2.5]),
    (["2026-11-30", "2026-12-01"], [1, 2]),  # dates: the order of the uploads
    (["day1", "visit2"], [1, 2]),
    (["baseline", "day1"], [1, 2]),
    (["a1", "b1"], [1, 2]),
])
def test_sessions_are_numbered_by_their_labels_or_else_in_upload_order(labels, numbers):
    start = datetime(2026, 12, 1, tzinfo=timezone.utc)
    found = [VisitJobs(label, "pre", [Job(created_at=start + timedelta(days=i))])
             for i, label in enumerate(labels)]
    assert session_numbers(found) == dict(zip(labels, numbers))


def test_a_visit_the_patient_does_not_have_is_404_by_name(service):
    app, keys = service
    _store(app, "P-one", "s1", "pre", "frontal", _near(1.0), _near(0.0))
    r = _post(app, keys["a"], "/v1/patients/visit",
              {"patient": "P-one", "session": "s1", "phase": "post"})
    assert r.status_code == 404 and r.json()["detail"] == \
        "this patient has no visit of session s1, phase post"
    r = _post(app, keys["a"], "/v1/patients/visit-comparison", {
        "patient": "P-one", "pre": {"session": "s1", "phase": "pre"},
        "post": {"session": "s9", "phase": "pre"}})
    assert r.status_code == 404 and "session s9" in r.json()["detail"]


def test_another_tenants_patient_is_unknown_and_unlisted(service):
    app, keys = service
    _two_sides(app, "P-private", "day1", "pre", 2.0, 0.0, tenant="clinic-a")
    _two_sides(app, "P-private", "day1", "post", 1.0, 0.0, tenant="clinic-a")
    visit = {"session": "day1", "phase": "pre"}
    bodies = {"/v1/patients/visit": visit, "/v1/patients/visits": {},
              "/v1/patients/course": {},
              "/v1/patients/visit-comparison": {"pre": visit,
                                                "post": {"session": "day1", "phase": "post"}}}
    for path, body in bodies.items():
        assert _post(app, keys["a"], path, {"patient": "P-private", **body}).status_code == 200
        theirs = _post(app, keys["b"], path, {"patient": "P-private", **body})
        unknown = _post(app, keys["b"], path, {"patient": "P-nobody", **body})
        assert theirs.status_code == unknown.status_code == 404, path
        assert theirs.json() == unknown.json()
    listed = {p["patient"] for p in _post(app, keys["a"], "/v1/patients/list", {}).json()[
        "patients"]}
    assert "P-private" in listed
    assert _post(app, keys["b"], "/v1/patients/list", {}).json() == {"patients": []}


def test_visit_calls_are_audited_without_the_pseudonym(service):
    app, keys = service
    _store(app, "P-audit", "s1", "pre", "frontal", _near(1.0), _near(0.0))
    _post(app, keys["a"], "/v1/patients/visit",
          {"patient": "P-audit", "session": "s1", "phase": "pre"})
    _post(app, keys["a"], "/v1/patients/course", {"patient": "P-audit"})
    with app.app.state.sessionmaker() as db:
        entries = list(db.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(["visit.read", "patient.course"]))))
    ref = patient_ref("clinic-a", "P-audit")
    assert {(e.action, e.outcome) for e in entries if e.resource == ref} == \
        {("visit.read", 200), ("patient.course", 200)}
    assert not any("P-audit" in (e.resource or "") for e in entries)


@pytest.mark.parametrize("path,body,field", [
    ("/v1/patients/visit", {"patient": "P1", "session": "s1"}, "phase"),
    ("/v1/patients/visit", {"patient": "P1", "session": "s1", "phase": "during"}, "phase"),
    ("/v1/patients/visit", {"patient": "P1", "session": "../s1", "phase": "pre"}, "session"),
    ("/v1/patients/visits", {"patient": "a name/with slash"}, "patient"),
    ("/v1/patients/course", {}, "patient"),
    ("/v1/patients/visit-comparison",
     {"patient": "P1", "pre": {"phase": "pre"}, "post": {"session": "s1", "phase": "post"}},
     "session"),
    ("/v1/patients/visit-comparison", {"patient": "P1", "pre": {"session": "s1", "phase": "pre"}},
     "post"),
    ("/v1/patients/list", {"patient": "P1"}, "patient"),
])
def test_bad_bodies_are_a_422_naming_the_field(service, path, body, field):
    app, keys = service
    r = _post(app, keys["a"], path, body)
    assert r.status_code == 422
    assert field in {error["loc"][-1] for error in r.json()["detail"]}


def test_an_upload_keeps_its_stated_view_and_refuses_an_unknown_one(service):
    app, keys = service

    def upload(**fields):
        return app.post("/v1/jobs", headers=keys["a"], files={
            "video": ("v.mp4", SIGNATURE_ONLY, "video/mp4")},
            data={"patient": "P-view", "session": "s1", "phase": "pre", **fields})

    r = upload(view="posterior")
    assert r.status_code == 202, r.text
    assert app.get(r.json()["status_url"], headers=keys["a"]).json()["view"] == "posterior"
    detected = upload()
    assert app.get(detected.json()["status_url"], headers=keys["a"]).json()["view"] is None
    refused = upload(view="sideways")
    assert refused.status_code == 422 and refused.json()["detail"].startswith("view:")


@pytest.mark.parametrize("kind", DATABASES)
def test_a_worker_scores_a_job_in_its_stated_view(kind, tmp_path):
    seen = []

    class Scored:
        def to_dict(self):
            return {"video": {}}

    def scorer(path, settings, **_):
        seen.append(settings.signal.view)
        return Scored()

    settings = ApiSettings(data_dir=tmp_path)
    settings.uploads.mkdir(parents=True)
    with migrated_database(kind, tmp_path) as sm:
        for job_id, view in zip(queue_jobs(sm, 2), ("frontal", None)):
            write_blank_video(settings.uploads / f"u{job_id[-1]}.mp4", seconds=0.5)
            with sm() as db:
                db.get(Job, job_id).view = view
                db.commit()
            run_job(sm, claim(sm, "server", 1, 30.0), None, settings,
                    service_score_settings(settings), scorer)
    assert seen == ["frontal", None]
