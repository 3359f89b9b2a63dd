"""Job leases: claims, heartbeats, expiry, release, timeouts, and two servers on one database."""

import os
import signal
import time
from functools import partial

import httpx
import pytest
from api_support import (
    PG_URL,
    Server,
    fresh_database,
    migrated_database,
    queue_jobs,
    server_env,
    wait_for_job,
    write_blank_video,
)
from lease_support import STUB_SERVE, attempts_logged, stub_env, stub_score
from sqlalchemy import create_engine, select, text

from api import leases
from api.db import Job, make_engine, make_sessionmaker
from api.jobs import WorkerPool, requeue_interrupted
from api.settings import ApiSettings
from api.uploads import sweep_orphans
from posescore.config import Settings

LONG_S = 60.0
SHORT_S = 0.001


def _jobs(sm):
    with sm() as db:
        return {job.id: job for job in db.scalars(select(Job))}


def _url(sm):
    return sm.kw["bind"].url.render_as_string(hide_password=False)


def _expired():
    time.sleep(0.05)


def test_each_job_is_claimed_once(sm):
    queue_jobs(sm, 2)
    claims = [leases.claim(sm, "server-a", 100 + i, LONG_S) for i in range(3)]
    assert claims[2] is None
    assert {c.job_id for c in claims[:2]} == {"job0", "job1"}
    assert claims[0].token != claims[1].token
    job = _jobs(sm)[claims[0].job_id]
    assert job.status == "running" and job.attempts == 1 and job.lease_owner == "server-a"
    assert job.lease_expires_at is not None and job.worker_pid == 100


@pytest.mark.skipif(not PG_URL, reason="POSESCORE_TEST_PG_URL is not set")
def test_a_claim_skips_a_row_another_server_is_taking(tmp_path):
    with migrated_database("postgresql", tmp_path) as sm:
        queue_jobs(sm, 2)
        # a claimer that waited for the lock would fail after 2 s rather than hang the test
        impatient = create_engine(
            sm.kw["bind"].url, connect_args={"options": "-c lock_timeout=2000"}
        )
        with sm() as other:
            other.execute(text("SELECT id FROM jobs WHERE id = 'job0' FOR UPDATE"))
            got = leases.claim(make_sessionmaker(impatient), "server-b", 1, LONG_S)
            other.rollback()
        impatient.dispose()
        assert got is not None and got.job_id == "job1"


def test_only_expired_leases_are_requeued_and_they_count(sm, tmp_path):
    settings = ApiSettings(data_dir=tmp_path, max_attempts=2)
    settings.uploads.mkdir(parents=True)
    (settings.uploads / "u1.mp4").write_bytes(b"x")
    queue_jobs(sm, 2)
    live = leases.claim(sm, "server-a", 1, LONG_S)
    dead = leases.claim(sm, "server-b", 1, SHORT_S)
    _expired()
    assert requeue_interrupted(sm, settings) == 1  # server-b's job; server-a's lease is live
    jobs = _jobs(sm)
    assert jobs[live.job_id].status == "running" and jobs[live.job_id].attempts == 1
    assert jobs[dead.job_id].status == "queued" and jobs[dead.job_id].attempts == 1
    assert jobs[dead.job_id].lease_owner is None and jobs[dead.job_id].claim_token is None

    again = leases.claim(sm, "server-b", 2, SHORT_S)
    assert again.job_id == dead.job_id and again.token != dead.token
    _expired()
    assert requeue_interrupted(sm, settings) == 0  # second interrupted start: given up
    job = _jobs(sm)[dead.job_id]
    assert job.status == "failed" and "2 times" in job.error and job.attempts == 2
    assert not (settings.uploads / "u1.mp4").exists()


def test_a_heartbeat_renews_only_its_own_leases(sm, tmp_path):
    queue_jobs(sm, 2)
    mine = leases.claim(sm, "server-a", 1, SHORT_S)
    theirs = leases.claim(sm, "server-b", 1, SHORT_S)
    assert leases.renew(sm, "server-a", LONG_S) == 1
    _expired()
    assert requeue_interrupted(sm, ApiSettings(data_dir=tmp_path)) == 1
    jobs = _jobs(sm)
    assert jobs[mine.job_id].status == "running" and jobs[theirs.job_id].status == "queued"


def test_a_dead_workers_jobs_are_requeued_by_owner_and_pid(sm, tmp_path):
    queue_jobs(sm, 2)
    leases.claim(sm, "server-a", 7, LONG_S)
    other_host = leases.claim(sm, "server-b", 7, LONG_S)  # the same pid on another host
    assert requeue_interrupted(sm, ApiSettings(data_dir=tmp_path), "server-a", 7) == 1
    assert _jobs(sm)[other_host.job_id].status == "running"


def test_a_released_job_goes_back_uncounted(sm):
    queue_jobs(sm, 2)
    held = leases.claim(sm, "server-a", 1, LONG_S)
    leases.claim(sm, "server-b", 1, LONG_S)
    assert leases.release(sm, "server-a") == 1
    job = _jobs(sm)[held.job_id]
    assert job.status == "queued" and job.attempts == 0
    assert job.lease_owner is None and job.claim_token is None and job.worker_pid is None
    assert leases.claim(sm, "server-c", 2, LONG_S).job_id == held.job_id


def test_overdue_lists_the_owners_long_jobs(sm):
    queue_jobs(sm, 1)
    held = leases.claim(sm, "server-a", 9, LONG_S)
    _expired()
    assert leases.overdue(sm, "server-a", 0.01) == [(held, 9)]
    assert leases.overdue(sm, "server-a", LONG_S) == []
    assert leases.overdue(sm, "server-b", 0.01) == []


def test_a_start_on_a_shared_database_keeps_young_upload_files(sm, tmp_path):
    settings = ApiSettings(data_dir=tmp_path, database_url=_url(sm))
    settings.uploads.mkdir(parents=True)
    for name in ("receiving.part", "old.part"):
        (settings.uploads / name).write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(settings.uploads / "old.part", (two_hours_ago, two_hours_ago))
    shared = sm.kw["bind"].dialect.name == "postgresql"  # another server may be receiving it
    assert sweep_orphans(settings, sm) == (1 if shared else 2)
    assert (settings.uploads / "receiving.part").exists() is shared


# ----------------------------------------------------------------- a pool of real workers


@pytest.fixture
def service(tmp_path, small_model_path):
    """Settings of a one-worker service on a SQLite file holding one queued job (a real,
    blank video), and its session factory."""
    with migrated_database("sqlite", tmp_path) as sm:
        settings = ApiSettings(
            data_dir=tmp_path,
            database_url=_url(sm),
            model=small_model_path,
            workers=1,
            poll_interval_s=0.1,
        )
        settings.uploads.mkdir(parents=True)
        write_blank_video(settings.uploads / "u0.mp4")
        queue_jobs(sm, 1)
        yield settings, sm


def _pool(service, log, seconds, **settings):
    base, sm = service
    pool = WorkerPool(
        base.model_copy(update=settings), Settings(), sm,
        scorer=partial(stub_score, seconds=seconds, log=log),
    )
    pool.start()
    return pool


def _supervise(pool, done, timeout_s=60.0):
    """Run the pool's supervision, as the server does, until ``done()``."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        pool.check()
        time.sleep(0.1)


def _started(log, n=1):
    return lambda: len(attempts_logged(log)) >= n


@pytest.mark.slow
def test_a_job_past_the_timeout_fails_and_its_worker_is_recycled(service, tmp_path):
    settings, sm = service
    log = tmp_path / "attempts.log"
    pool = _pool(service, log, seconds=3600, job_timeout_s=1, shutdown_grace_s=0)
    try:
        hung = pool.processes[0]
        _supervise(pool, lambda: _jobs(sm)["job0"].status != "running" and _started(log)())
        job = _jobs(sm)["job0"]
        assert job.status == "failed" and job.error == "timed out after 1 s"
        assert attempts_logged(log) == [("u0.mp4", hung.pid)]
        assert hung.exitcode == -signal.SIGKILL  # the hung worker was killed ...
        assert pool.processes[0].pid != hung.pid and pool.processes[0].is_alive()  # and replaced
        assert not (settings.uploads / "u0.mp4").exists()
    finally:
        pool.stop()


@pytest.mark.slow
@pytest.mark.parametrize(
    "score_s,grace_s,exitcode,status,attempts",
    [(2, 30, 0, "done", 1),  # finishes within the grace period
     (3600, 0.5, -signal.SIGKILL, "queued", 0)],  # given back to the queue, uncounted
)
def test_a_graceful_stop_is_not_an_attempt(
    service, tmp_path, score_s, grace_s, exitcode, status, attempts
):
    _, sm = service
    log = tmp_path / "attempts.log"
    pool = _pool(service, log, seconds=score_s, shutdown_grace_s=grace_s)
    _supervise(pool, _started(log))
    start = time.monotonic()
    pool.stop()
    # a job that finishes ends the wait early; one that does not gets the whole grace period
    assert (time.monotonic() - start < grace_s) == (status == "done")
    assert pool.processes[0].exitcode == exitcode
    job = _jobs(sm)["job0"]
    assert (job.status, job.attempts) == (status, attempts)
    assert job.lease_owner is None or status == "done"


@pytest.mark.slow
def test_a_crashed_workers_job_counts_as_an_attempt(service, tmp_path):
    _, sm = service
    log = tmp_path / "attempts.log"
    pool = _pool(service, log, seconds=2)
    try:
        first = pool.processes[0]
        _supervise(pool, _started(log))
        os.kill(first.pid, signal.SIGKILL)
        _supervise(pool, lambda: _jobs(sm)["job0"].status == "done")
    finally:
        pool.stop()
    job = _jobs(sm)["job0"]
    assert job.attempts == 2
    assert [pid for _, pid in attempts_logged(log)] == [first.pid, job.result["scored_by"]]


# ----------------------------------------------------------------- real servers


def _submit(client, video, phase="pre"):
    with open(video, "rb") as fh:
        r = client.post("/v1/jobs", data={"patient": "P-lease", "session": "s1", "phase": phase},
                        files={"video": ("a.mp4", fh, "video/mp4")})
    assert r.status_code == 202, r.text
    return r.json()["job_id"]


def _client(server, key):
    return httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30)


def _db_jobs(url):
    engine = make_engine(url)
    try:
        return _jobs(make_sessionmaker(engine))
    finally:
        engine.dispose()


def _wait(done, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.slow
def test_sigterm_gives_the_running_job_back_and_a_restart_scores_it_once(
    tmp_path, small_model_path
):
    log = tmp_path / "attempts.log"
    video = write_blank_video(tmp_path / "blank.mp4")
    env = server_env(tmp_path, small_model_path, POSESCORE_SHUTDOWN_GRACE_S="0.5")
    server = Server(stub_env(env, 3600, log), tmp_path / "server.log", STUB_SERVE)
    key = server.create_key()
    url = f"sqlite:///{tmp_path / 'data' / 'posescore.db'}"
    try:
        with _client(server.start(), key) as client:
            job_id = _submit(client, video)
            _wait(lambda: attempts_logged(log))
            server.stop()  # SIGTERM while the job runs (it would run for an hour)
            job = _db_jobs(url)[job_id]
            assert (job.status, job.attempts, job.lease_owner) == ("queued", 0, None)
            logged = server.log_path.read_text()
            assert "given back to the queue" in logged
            assert "Application shutdown complete" in logged  # uvicorn's graceful path

            server.env = stub_env(env, 0, log)
            server.start()
            assert wait_for_job(client, job_id, timeout_s=60)["status"] == "done"
    finally:
        server.stop()
    job = _db_jobs(url)[job_id]
    assert job.attempts == 1 and len(attempts_logged(log)) == 2


@pytest.mark.slow
@pytest.mark.skipif(not PG_URL, reason="POSESCORE_TEST_PG_URL is not set")
def test_two_servers_share_a_database_and_a_killed_ones_job_finishes_once(
    tmp_path, small_model_path
):
    log = tmp_path / "attempts.log"
    video = write_blank_video(tmp_path / "blank.mp4")
    with fresh_database("postgresql", tmp_path) as url:
        env = server_env(tmp_path, small_model_path, url, POSESCORE_LEASE_S="2")
        # a's jobs run for a minute (it is killed in the middle of one), b's for 1 s
        a = Server(stub_env(env, 60, log), tmp_path / "a.log", STUB_SERVE)
        b = Server(stub_env(env, 1, log), tmp_path / "b.log", STUB_SERVE)
        key = a.create_key()
        try:
            with _client(a.start(), key) as client_a:
                first = _submit(client_a, video)
                _wait(lambda: attempts_logged(log))
                with _client(b.start(), key) as client_b:
                    job = _db_jobs(url)[first]  # b's start left a's live job alone
                    assert (job.status, job.attempts) == ("running", 1)
                    a_pid = job.worker_pid
                    ids = [first] + [
                        _submit(client, video) for client in (client_a, client_b) * 2
                    ]
                    a.kill()  # SIGKILL, in the middle of the first job
                    for job_id in ids:
                        assert wait_for_job(client_b, job_id, timeout_s=60)["status"] == "done"
        finally:
            a.stop()
            b.stop()
        jobs = _db_jobs(url)
    assert sorted(jobs) == sorted(ids)  # one row per accepted job, each done with a result
    assert all(job.status == "done" and job.result for job in jobs.values())
    logged = attempts_logged(log)
    for job_id, job in jobs.items():
        attempts = [pid for name, pid in logged if name == job.upload_name]
        assert job.attempts == len(attempts) == (2 if job_id == first else 1)
        assert job.result["scored_by"] == attempts[-1] != a_pid  # scored by b's worker
    assert logged[0][1] == a_pid
