"""Probing and comparisons run in the workers: the API process only stores and reads.

In-process apps without worker processes; a test runs the worker's step itself, so what
the API answered before it is known to have been computed nowhere else.
"""

from datetime import timedelta
from unittest import mock

import cv2
import pytest
from api_support import (
    apps_without_workers,
    key_for,
    score_with_strides,
    store_done_job,
    upload,
)
from sqlalchemy import create_engine, select, text, update

from api import leases
from api.compare import COMPARISON_LEASE, claim_comparison, compare_next
from api.db import AuditEntry, Comparison, Job, migrate, utcnow
from api.jobs import run_job

CORRUPT_MP4 = b"\x00\x00\x00\x20ftypisom" + bytes(range(256)) * 40
STEADY = [1, 2, 3, 2, 1, 2]


@pytest.fixture(scope="module")
def model(small_model_path):
    return small_model_path


def _opened_a_video(*args, **kwargs):
    raise AssertionError("the API process opened a video with OpenCV")


def compare_once(state, sm=None):
    """One comparison step of a worker, with the app's settings and model."""
    return compare_next(sm or state.sessionmaker, state.settings, state.score_settings, state.model)


def test_the_api_never_decodes_an_upload_and_the_worker_fails_a_corrupt_one(tmp_path, model):
    with apps_without_workers(tmp_path, model) as (app,):
        key = key_for(app, "clinic-a")
        with mock.patch.object(cv2, "VideoCapture", _opened_a_video):
            r = upload(app, key, content=CORRUPT_MP4)
            assert r.status_code == 202, r.text  # only the signature was checked
            job_id = r.json()["job_id"]
            assert app.get(f"/v1/jobs/{job_id}", headers=key).json()["status"] == "queued"
        state = app.app.state
        claim = leases.claim(state.sessionmaker, "server-a", 1, state.settings.lease_s)
        run_job(state.sessionmaker, claim, state.model, state.settings,
                state.score_settings)  # the worker's step
        job = app.get(f"/v1/jobs/{job_id}", headers=key).json()
        assert job["status"] == "failed"
        assert job["error"].startswith("truncated or corrupt video: the upload cannot be opened")
        assert list(state.settings.uploads.iterdir()) == []  # discarded with the failed job


def _pair(sm, tenant="clinic-a", pre_status="done"):
    result = score_with_strides(STEADY, STEADY)
    return (store_done_job(sm, "P1", "pre", result, tenant, status=pre_status),
            store_done_job(sm, "P1", "post", result, tenant))


def test_a_comparison_is_queued_then_computed_by_a_worker(tmp_path, model):
    with apps_without_workers(tmp_path, model) as (app,):
        state = app.app.state
        a, b = key_for(app, "clinic-a"), key_for(app, "clinic-b")
        pre, post = _pair(state.sessionmaker)
        r = app.post("/v1/comparisons", headers=a, json={"pre_job_id": pre, "post_job_id": post})
        assert r.status_code == 202 and r.json()["status"] == "pending"
        comparison_id = r.json()["comparison_id"]
        assert r.headers["Location"] == f"/v1/comparisons/{comparison_id}"
        path = f"/v1/comparisons/{comparison_id}"
        assert app.get(path, headers=a).json()["comparison"] is None  # a GET computes nothing
        theirs, missing = app.get(path, headers=b), app.get("/v1/comparisons/0123", headers=b)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["detail"] == f"no comparison {comparison_id}"

        assert compare_once(state)
        assert not compare_once(state)  # none left
        done = app.get(path, headers=a).json()
        assert done["status"] == "done" and done["error"] is None
        assert done["comparison"]["model"]["name"] == "api-test-small"
        with state.sessionmaker() as db:
            audit = [(e.tenant, e.action, e.resource, e.outcome)
                     for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert audit == [("clinic-a", "comparison.create", comparison_id, 202),
                         ("clinic-a", "comparison.read", comparison_id, 200),
                         ("clinic-b", "comparison.read", comparison_id, 404),
                         ("clinic-b", "comparison.read", "0123", 404),
                         ("clinic-a", "comparison.read", comparison_id, 200)]


def test_a_comparison_waits_for_its_jobs_and_fails_with_a_failed_one(tmp_path, model):
    with apps_without_workers(tmp_path, model) as (app,):
        state = app.app.state
        key = key_for(app, "clinic-a")
        queued = upload(app, key).json()["job_id"]
        post = store_done_job(state.sessionmaker, "P1", "post", score_with_strides(STEADY, STEADY),
                              "clinic-a")
        waiting = app.post("/v1/comparisons", headers=key,
                           json={"pre_job_id": queued, "post_job_id": post}).json()
        assert not compare_once(state)  # pre not done
        pre, post = _pair(state.sessionmaker, pre_status="failed")
        failed = app.post("/v1/comparisons", headers=key,
                          json={"pre_job_id": pre, "post_job_id": post}).json()
        assert compare_once(state)
        body = app.get(f"/v1/comparisons/{failed['comparison_id']}", headers=key).json()
        assert body["status"] == "failed" and body["error"] == "the pre video could not be scored"
        still = app.get(f"/v1/comparisons/{waiting['comparison_id']}", headers=key).json()
        assert still["status"] == "pending"


def test_a_dead_workers_comparison_is_claimed_again_when_its_lease_ends(tmp_path, model):
    with apps_without_workers(tmp_path, model, max_attempts=1) as (app,):
        state = app.app.state
        sm = state.sessionmaker
        key = key_for(app, "clinic-a")
        pre, post = _pair(sm)
        comparison_id = app.post("/v1/comparisons", headers=key,
                                 json={"pre_job_id": pre, "post_job_id": post}
                                 ).json()["comparison_id"]
        assert claim_comparison(sm).id == comparison_id  # its worker then dies
        assert claim_comparison(sm) is None  # the lease holds
        with sm.begin() as db:
            db.execute(update(Comparison).values(
                claimed_at=utcnow() - COMPARISON_LEASE - timedelta(seconds=1)))
        assert compare_once(state, sm)  # claimed a 2nd time: gives up
        body = app.get(f"/v1/comparisons/{comparison_id}", headers=key).json()
        assert body["status"] == "failed" and "stopped unexpectedly 1 times" in body["error"]


def test_comparisons_stored_before_workers_computed_them_keep_their_state(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0005")
    engine = create_engine(url)  # no foreign keys: the comparisons' jobs are not needed here
    with engine.begin() as conn:
        for cid, result, error in [("c-done", '{"schema": "x"}', None), ("c-failed", None, "no"),
                                   ("c-waiting", None, None)]:
            conn.execute(text("INSERT INTO comparisons (id, tenant, pre_job_id, post_job_id, "
                              "created_at, result, error) VALUES (:id, 't', 'a', 'b', "
                              "CURRENT_TIMESTAMP, :result, :error)"),
                         {"id": cid, "result": result, "error": error})
    migrate(url)
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, status FROM comparisons")).all())
    engine.dispose()
    assert states == {"c-done": "done", "c-failed": "failed", "c-waiting": "pending"}


def test_a_comparison_erased_while_claimed_is_dropped(tmp_path, model, monkeypatch):
    import api.compare
    from api.retention import erase_jobs

    with apps_without_workers(tmp_path, model) as (app,):
        state = app.app.state
        key = key_for(app, "clinic-a")
        pre, post = _pair(state.sessionmaker)
        app.post("/v1/comparisons", headers=key, json={"pre_job_id": pre, "post_job_id": post})
        claim = api.compare.claim_comparison

        def claim_then_erase(sm):
            claimed = claim(sm)
            with sm() as db:
                erase_jobs(db, state.settings, [db.get(Job, pre), db.get(Job, post)])
            return claimed

        monkeypatch.setattr(api.compare, "claim_comparison", claim_then_erase)
        assert compare_once(state)  # no crash
        with state.sessionmaker() as db:
            assert db.scalars(select(Comparison)).all() == []
