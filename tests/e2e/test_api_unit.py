"""Service parts without a server: comparison, content sniffing, keys, settings, queue."""

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from api_support import queue_jobs, score_with_strides
from pydantic import ValidationError
from sqlalchemy import select, text

from api.app import create_app
from api.compare import N_BOOT, SEED, compare_scores
from api.db import (
    ApiKey,
    AuditEntry,
    Base,
    Comparison,
    Job,
    make_engine,
    make_sessionmaker,
    migrate,
    utcnow,
)
from api.jobs import discard_upload
from api.keys import (
    Caller,
    authenticate,
    create_key,
    hash_key,
    key_table,
    revoke_key,
    rotate_key,
)
from api.leases import claim
from api.retention import expire
from api.security import container_of
from api.settings import ApiSettings, get_settings
from posescore.contract.compare import SessionInfo
from posescore.errors import ConfigError, PosescoreError

PRE_PF = [20, 22, 24, 21, 23, 22]
POST_PF = [2, 4, 3, 1, 2, 3]
STEADY_PF = [1, 2, 3, 2, 1, 2]


@pytest.fixture(scope="module")
def small_model(small_model_path):
    from posescore.model_file import load_model

    return load_model(small_model_path)


def test_service_comparison_has_ci_mdc_and_verdict(small_model):
    pre = score_with_strides(PRE_PF, STEADY_PF, path="secret_patient_name_pre.mp4")
    post = score_with_strides(POST_PF, STEADY_PF, seed=1, path="secret_patient_name_post.mp4")
    out = compare_scores(pre, post, small_model, min_strides=2)
    assert out["schema"] == "posescore-compare/2"
    assert out["bootstrap"]["n_resamples"] == N_BOOT and out["bootstrap"]["seed"] == SEED
    assert out["affected_side"] == {"pre": "left", "post": "left"}
    for side in ("left", "right"):
        leg = out["legs"][side]
        assert leg["change"] == pytest.approx(leg["post"] - leg["pre"], abs=2e-3)
        assert leg["ci95"][0] <= leg["change"] <= leg["ci95"][1]
        assert leg["mdc95"] is not None and isinstance(leg["beyond_noise"], bool)
    assert out["legs"]["left"]["mdc_class"] == "near" and out["legs"]["right"]["mdc_class"] == "far"
    pf = next(f for f in out["features"] if f["name"] == "left_ankle_plantarflexion_hs_deg")
    assert pf["beyond_noise"] and pf["direction"] == "decrease" and pf["ci95"][1] < 0
    assert pf["unit"] == "deg" and pf["mdc95"] > 0 and pf["effect_size_g"] < -2
    steady = next(f for f in out["features"] if f["name"] == "right_ankle_plantarflexion_hs_deg")
    assert steady["change"] == 0 and not steady["beyond_noise"]
    assert out["model"]["name"] == "api-test-small"
    text = json.dumps(out, allow_nan=False)
    assert "secret_patient_name" not in text and '"path"' not in text
    assert compare_scores(pre, post, small_model, min_strides=2) == out  # seeded


def test_service_comparison_refuses_fields_it_does_not_document():
    session = {"sha256": None, "duration_s": 1.0, "task": "walk_forward", "view": "frontal",
               "scorable": True, "n_strides": {"left": 2, "right": 2}}
    assert "path" not in SessionInfo.model_validate(session).to_json()
    with pytest.raises(ValidationError, match="patient_name"):
        SessionInfo.model_validate({**session, "patient_name": "x"})


def test_service_comparison_needs_per_stride_values(small_model):
    old = score_with_strides(PRE_PF, STEADY_PF)
    del old["strides"]
    with pytest.raises(PosescoreError, match="strides"):
        compare_scores(old, score_with_strides(POST_PF, STEADY_PF), small_model, 2)


@pytest.mark.parametrize(
    "head,expected",
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "mp4"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00", "mov"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00", "mkv"),
        (b"\x00\x00\x01\xba\x44\x00\x04\x00", "mpg"),
        ((b"\x47\x40\x11\x10" + bytes(184)) * 2, "ts"),
        ((b"\x0e\xbf\x46\x22\x47\x40\x11\x10" + bytes(184)) * 2, "m2ts"),
        (b"\x47" + bytes(300), None),  # one sync byte is not a stream
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", None),
        (b"patient,score\nP1,2\n", None),
        (b"", None),
    ],
)
def test_container_of(head, expected):
    assert container_of(head) == expected


def test_migrations_match_the_models(sm):
    with sm.kw["bind"].connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_keys_are_stored_hashed(sm):
    with sm() as db:
        row, key = create_key(db, "clinic app", "clinic-a", ["read"])
        caller, refusal = authenticate(db, key)
        assert caller == Caller(row.id, "clinic-a", frozenset({"read"})) and refusal == ""
        assert row.key_hash == hash_key(key) and key not in row.key_hash
        assert db.get(ApiKey, row.id).last_used_at is not None
        assert authenticate(db, key + "x") == (None, "missing or invalid API key")
        assert authenticate(db, None)[0] is None
        assert all(key not in str(r) and row.key_hash not in str(r) for r in key_table(db))


def test_revoked_rotated_and_expired_keys_are_refused(sm):
    with sm() as db:
        old, old_key = create_key(db, "app", "clinic-a", ["submit", "read"], expires_days=30)
        new, new_key = rotate_key(db, old.id)
        assert authenticate(db, old_key) == (None, "API key revoked")
        caller, _ = authenticate(db, new_key)
        assert (caller.tenant, caller.scopes) == ("clinic-a", {"submit", "read"})
        lifetime = new.expires_at - new.created_at
        assert abs(lifetime - timedelta(days=30)) < timedelta(minutes=1)
        revoke_key(db, new.id)
        assert authenticate(db, new_key) == (None, "API key revoked")
        _, expired = create_key(db, "old", expires_days=-1)
        assert authenticate(db, expired) == (None, "API key expired")
        states = {r["id"]: r["state"] for r in key_table(db)}
        assert list(states.values()) == ["revoked", "revoked", "expired"]


@pytest.mark.parametrize(
    "kwargs,message",
    [({"scopes": ["root"]}, "scopes"), ({"scopes": []}, "scopes"),
     ({"tenant": "clinic a/../b"}, "tenant")],
)
def test_bad_key_settings_are_refused(sm, kwargs, message):
    with sm() as db, pytest.raises(ConfigError, match=message):
        create_key(db, "x", **kwargs)


def test_retain_uploads_keeps_the_file(tmp_path):
    kept = ApiSettings(data_dir=tmp_path, retain_uploads=True)
    kept.uploads.mkdir(parents=True)
    (kept.uploads / "a.mp4").write_bytes(b"x")
    discard_upload(kept, "a.mp4")
    assert (kept.uploads / "a.mp4").exists()
    discard_upload(ApiSettings(data_dir=tmp_path), "a.mp4")
    assert not (kept.uploads / "a.mp4").exists()


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    get_settings.cache_clear()
    monkeypatch.setenv("POSESCORE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("POSESCORE_MAX_UPLOAD_MB", "2")
    monkeypatch.setenv("POSESCORE_RETAIN_UPLOADS", "true")
    monkeypatch.setenv("POSESCORE_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.delenv("POSESCORE_DATABASE_URL", raising=False)
    try:
        s = get_settings()
        assert s is get_settings()  # cached
        assert s.max_upload_bytes == 2 * 1024 * 1024 and s.retain_uploads
        assert s.cors_origin_list == ["https://a.example", "https://b.example"]
        assert s.url == f"sqlite:///{tmp_path / 'posescore.db'}"
        assert s.uploads == tmp_path / "uploads"
    finally:
        get_settings.cache_clear()


def test_a_scoring_error_fails_the_job_with_a_message(sm, tmp_path, small_model):
    from api.jobs import run_job, service_score_settings

    settings = ApiSettings(data_dir=tmp_path)
    queue_jobs(sm, 1)  # its upload u0.mp4 was never stored
    held = claim(sm, "server", 1, 30.0)
    run_job(
        sm, held, small_model, settings,
        service_score_settings(settings),
    )
    with sm() as db:
        job = db.get(Job, held.job_id)
    assert job.status == "failed" and job.finished_at is not None
    assert job.error == "video file not found: the upload"


@pytest.mark.parametrize(
    "origins,origin,allowed",
    [("", "https://evil.example", False),
     ("https://clinic.example", "https://clinic.example", True),
     ("https://clinic.example", "https://evil.example", False)],
)
def test_cors_is_restricted_by_setting(tmp_path, origins, origin, allowed):
    app = create_app(ApiSettings(data_dir=tmp_path, cors_origins=origins))

    async def preflight():  # no lifespan: preflight requests never reach the database
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.options(
                "/v1/jobs", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
            )

    r = asyncio.run(preflight())
    assert (r.headers.get("access-control-allow-origin") == origin) is allowed


def test_rows_made_before_tenants_join_the_default_tenant(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0002")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO api_keys (name, key_hash, created_at) "
                          "VALUES ('old', :h, CURRENT_TIMESTAMP)"), {"h": "0" * 64})
    migrate(url)
    with make_sessionmaker(engine)() as db:
        assert db.scalar(select(ApiKey)).tenant == "default"
    engine.dispose()


def test_jobs_past_the_retention_period_are_erased(sm, tmp_path):
    settings = ApiSettings(data_dir=tmp_path, retention_days=30, retain_uploads=True)
    settings.uploads.mkdir(parents=True)
    queue_jobs(sm, 3)
    now = utcnow()
    with sm() as db:
        for job, age_days, status in zip(db.scalars(select(Job).order_by(Job.id)),
                                         (40, 10, 40), ("done", "done", "queued")):
            job.created_at, job.status = now - timedelta(days=age_days), status
            (settings.uploads / job.upload_name).write_bytes(b"video")
        db.add(Comparison(id="c1", tenant="default", pre_job_id="job0", post_job_id="job1"))
        db.commit()
    assert expire(sm, settings.model_copy(update={"retention_days": 0}), now) == 0
    assert expire(sm, settings, now) == 1
    with sm() as db:
        assert sorted(db.scalars(select(Job.id))) == ["job1", "job2"]  # queued ones wait
        assert db.get(Comparison, "c1") is None
        entry = db.scalar(select(AuditEntry))
        assert (entry.action, entry.resource, entry.key_id) == ("job.expire", "job0", None)
    assert sorted(p.name for p in settings.uploads.iterdir()) == ["u1.mp4", "u2.mp4"]


def test_docs_are_served_only_when_enabled(tmp_path):
    async def get_docs(docs):
        app = create_app(ApiSettings(data_dir=tmp_path, docs=docs))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/docs")

    assert asyncio.run(get_docs(False)).status_code == 404
    shown = asyncio.run(get_docs(True))
    assert shown.status_code == 200
    assert "cdn.jsdelivr.net" in shown.headers["content-security-policy"]
