"""Rate and queue limits (429/503 with Retry-After), in-process apps without workers.

The worker pool is not started, so queued jobs stay queued and nothing is probed or scored
unless a test runs the worker's code itself.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from api_support import (
    DATABASES,
    apps_without_workers,
    fresh_database,
    key_for,
    upload,
)
from sqlalchemy import select

from api.db import RateCounter, make_engine, make_sessionmaker, migrate
from api.quotas import count_call
from api.settings import ApiSettings

BIG_WINDOW_S = 10**6
"""A rate window no test run straddles."""


@pytest.fixture(scope="module")
def model(small_model_path):
    return small_model_path


@pytest.mark.parametrize("kind", DATABASES)
def test_rate_limit_is_per_tenant_and_shared_by_every_process(kind, tmp_path, model):
    with fresh_database(kind, tmp_path) as url, \
            apps_without_workers(tmp_path, model, url, n_apps=2, rate_limit=3,
                    rate_window_s=BIG_WINDOW_S) as (one, two):
        a, b = key_for(one, "clinic-a"), key_for(one, "clinic-b")
        answers = [app.get("/v1/model", headers=a).status_code for app in (one, two, one)]
        assert answers == [200, 200, 200]
        refused = two.get("/v1/model", headers=a)  # the 4th call, through the other app
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= BIG_WINDOW_S
        assert "POSESCORE_RATE_LIMIT" in refused.json()["detail"]
        assert one.get("/v1/jobs/nope", headers=a).status_code == 429  # every /v1 call counts
        assert two.get("/v1/model", headers=b).status_code == 200  # another tenant is unaffected


@pytest.mark.parametrize("kind", DATABASES)
def test_concurrent_calls_are_counted_exactly(kind, tmp_path):
    settings = ApiSettings(data_dir=tmp_path, rate_limit=20, rate_window_s=BIG_WINDOW_S)
    now_s = time.time()
    with fresh_database(kind, tmp_path) as url:
        migrate(url)
        engine = make_engine(url)
        sm = make_sessionmaker(engine)

        def call(_):
            with sm() as db:
                return count_call(db, "clinic-a", settings, now_s)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(call, range(40)))
        engine.dispose()
    assert sum(answer is None for answer in answers) == 20  # none lost, none let through twice


def test_a_new_window_lets_the_tenant_in_again(tmp_path, model):
    with apps_without_workers(tmp_path, model, rate_limit=1, rate_window_s=60) as (app,):
        settings = app.app.state.settings
        with app.app.state.sessionmaker() as db:
            assert count_call(db, "t", settings, 120.0) is None
            refused = count_call(db, "t", settings, 150.5)
            assert refused.status == 429 and refused.retry_after_s == 30  # 180 - 150.5, rounded up
            assert count_call(db, "t", settings, 180.0) is None
            assert db.scalars(select(RateCounter.window_start)).all() == [180]  # old one deleted


def test_queue_limits_answer_429_per_tenant_and_503_when_full(tmp_path, model):
    with apps_without_workers(tmp_path, model, tenant_queue_limit=2, queue_limit=3) as (app,):
        a, b = key_for(app, "clinic-a"), key_for(app, "clinic-b")
        assert [upload(app, a).status_code for _ in range(2)] == [202, 202]
        full = upload(app, a)
        assert full.status_code == 429 and full.headers["Retry-After"] == "30"
        assert "POSESCORE_TENANT_QUEUE_LIMIT" in full.json()["detail"]
        comparison = app.post("/v1/comparisons", headers=a,
                              json={"pre_job_id": "x", "post_job_id": "y"})
        assert comparison.status_code == 429  # comparisons are queued work too
        assert upload(app, b).status_code == 202  # clinic-b has its own queue...
        cap = upload(app, b)  # ...but the service holds 3 waiting jobs in all
        assert cap.status_code == 503 and cap.headers["Retry-After"] == "30"
        assert "POSESCORE_QUEUE_LIMIT" in cap.json()["detail"]
        stored = list((tmp_path / "uploads").iterdir())
        assert len(stored) == 3  # the refused bodies were never read
