"""The runner: per-item errors, order, progress, per-worker state and thread limits."""

import os
import time

import pytest

from posescore.errors import PosescoreError
from posescore.runner import error_text, run_items, where
from posescore.threads import native_thread_counts, usable_cores

WORKERS = 2
_STATE: dict = {}


def _init(tag: str) -> None:
    import sklearn.ensemble  # noqa: F401 - loads OpenMP, as the model does

    _STATE["tag"] = tag
    _STATE["inits"] = _STATE.get("inits", 0) + 1


def _square(x: int) -> int:
    if x == 3:
        raise PosescoreError("three is not welcome")
    if x == 4:
        raise ValueError("four")
    return x * x


def _worker_view(x: int) -> dict:
    """What an item sees inside its worker."""
    time.sleep(0.2)  # so that both workers take items
    return {"pid": os.getpid(), "place": where(), "tag": _STATE.get("tag"),
            "inits": _STATE.get("inits"), "threads": native_thread_counts()}


def _sleepy(x: int) -> int:
    time.sleep(0.5)
    return x


def _assert_shared_out(counts: dict, workers: int) -> None:
    assert "opencv" in counts and "openmp" in counts, counts
    share = max(1, usable_cores() // workers)
    assert all(n <= share for n in counts.values()), counts


@pytest.mark.parametrize("workers", [1, WORKERS])
def test_an_items_error_is_its_own_and_the_run_goes_on(workers):
    outcomes = run_items(_square, [1, 2, 3, 4, 5], workers=workers)
    assert [o.item for o in outcomes] == [1, 2, 3, 4, 5]
    assert [o.value for o in outcomes] == [1, 4, None, None, 25]
    assert [o.ok for o in outcomes] == [True, True, False, False, True]
    assert outcomes[2].error == "three is not welcome"
    assert outcomes[3].error == "internal error: ValueError: four"


@pytest.mark.parametrize("workers", [1, WORKERS])
def test_exceptions_not_caught_end_the_run(workers):
    with pytest.raises(ValueError, match="four"):
        run_items(_square, [1, 4], workers=workers, catch=(PosescoreError,))


def test_largest_first_and_progress_counts():
    seen = []
    outcomes = run_items(_square, [1, 2, 5], sizes=[10, 30, 20],
                         progress=lambda o, n, total: seen.append((o.item, n, total)))
    assert seen == [(2, 1, 3), (5, 2, 3), (1, 3, 3)]
    assert [o.item for o in outcomes] == [1, 2, 5]  # outcomes stay in the items' order


def test_local_workers_build_their_state_once_with_their_share_of_threads():
    outcomes = run_items(_worker_view, range(6), workers=WORKERS, init=_init,
                         init_args=("model",))
    views = [o.value for o in outcomes]
    for o in outcomes:  # each item's span: the worker that ran it, at least its 0.2 s sleep
        assert o.span.pid == o.value["pid"] and o.span.end_s - o.span.start_s >= 0.2
    assert {v["place"] for v in views} == {"process"}
    assert {v["tag"] for v in views} == {"model"} and {v["inits"] for v in views} == {1}
    assert len({v["pid"] for v in views}) == WORKERS and os.getpid() not in {
        v["pid"] for v in views}
    for v in views:
        _assert_shared_out(v["threads"], WORKERS)


def test_in_this_process_init_runs_here_without_thread_limits():
    _STATE.clear()
    [outcome] = run_items(_worker_view, [0], workers=WORKERS, init=_init, init_args=("here",))
    assert outcome.value["pid"] == os.getpid() and outcome.value["place"] == "caller"
    assert outcome.span.pid == os.getpid()
    assert _STATE["tag"] == "here"


def test_first_ctrl_c_lets_running_items_finish_then_stops():
    ended = []

    def interrupt_once(outcome, n, total):
        ended.append(outcome.item)
        if n == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_items(_sleepy, list(range(6)), workers=WORKERS, progress=interrupt_once)
    assert sorted(ended) == [0, 1]  # the two running ones; nothing more handed out


def test_dask_back_end():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        outcomes = run_items(_worker_view, range(4), scheduler=cluster.scheduler_address,
                             init=_init, init_args=("dask",))
        errors = run_items(_square, [3, 4, 5], scheduler=cluster.scheduler_address)
    views = [o.value for o in outcomes]
    assert {v["place"] for v in views} == {"dask"} and {v["tag"] for v in views} == {"dask"}
    assert {v["inits"] for v in views} == {1}  # once per worker process
    for v in views:
        _assert_shared_out(v["threads"], WORKERS)
    assert [o.error for o in errors] == [error_text(PosescoreError("three is not welcome")),
                                         "internal error: ValueError: four", ""]

