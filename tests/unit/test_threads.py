"""Worker processes (batch, Dask, service) run with native thread pools sized to their share."""

import re
import time

import pytest

from posescore.batch import _init_worker
from posescore.config import Settings
from posescore.runner import run_items
from posescore.threads import (
    dask_task_slots,
    limit_dask_task,
    native_thread_counts,
    threads_per_worker,
    usable_cores,
)

WORKERS = 2


def _assert_shared_out(counts: dict, workers: int) -> None:
    """Every pool read inside a worker holds at most that worker's share of the cores."""
    # OpenCV's pool, and OpenMP's whether loaded already or loaded later (the shipped model
    # runs without it; scikit-learn loads it)
    assert "opencv" in counts and "omp_env" in counts, counts
    share = max(1, usable_cores() // workers)
    assert all(n <= share for n in counts.values()), counts


def _dask_task_counts(slots: dict) -> dict:
    import sklearn.ensemble  # noqa: F401 - loads OpenMP, as the model does

    limit_dask_task(slots)
    return native_thread_counts()


def test_threads_per_worker_share_the_cores():
    cores = usable_cores()
    assert threads_per_worker(1) == cores
    assert threads_per_worker(cores) == 1
    assert threads_per_worker(4 * cores) == 1


def _counts(_: int) -> dict:
    # the shipped model runs without scikit-learn; a model that needs it loads OpenMP only
    # now, after the worker's start, and must still get the worker's share
    import sklearn.ensemble  # noqa: F401

    return native_thread_counts()


def test_batch_worker_limits():
    outcomes = run_items(_counts, range(WORKERS), workers=WORKERS, init=_init_worker,
                         init_args=(Settings(),))
    for c in (o.value for o in outcomes):
        _assert_shared_out(c, WORKERS)


def test_dask_task_limits():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:
        slots = dask_task_slots(client)
        assert slots == {"127.0.0.1": WORKERS}
        futures = [client.submit(_dask_task_counts, slots, pure=False) for _ in range(WORKERS)]
        for c in client.gather(futures):
            _assert_shared_out(c, WORKERS)


@pytest.mark.slow
def test_service_worker_limits(tmp_path):
    from api_support import running_server

    with running_server(tmp_path, "sqlite", POSESCORE_WORKERS=str(WORKERS)) as (server, _):
        deadline = time.monotonic() + 60
        while len(ready := re.findall(r"worker \d+ ready \(native threads (\{.*\})\)",
                                      server.log_path.read_text())) < WORKERS:
            assert time.monotonic() < deadline, server.log_path.read_text()[-2000:]
            time.sleep(0.2)
    for c in ready:
        _assert_shared_out(eval(c), WORKERS)  # noqa: S307 - a dict repr the worker logged
