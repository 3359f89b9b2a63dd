"""Native thread pools sized to a process pool, so that workers x threads <= cores.

OpenMP (scikit-learn's histogram gradient boosting), BLAS (numpy, scipy) and OpenCV each
size their pool to every core of the machine in every process. With several worker
processes on few cores their threads compete and spin against each other (issue 23: the
model stage took 9-16 s in a 2-worker batch instead of 0.2 s). Every worker process of
posescore (batch, Dask, the service, training featurisation, phantom rendering, pose chunks)
calls :func:`limit_native_threads` first; the library's own calls in a caller's process keep
the libraries' defaults.
"""

from __future__ import annotations

import os
from typing import Any

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
"""Read by OpenMP and BLAS libraries when they load (in this process and its children)."""


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), >= 1."""
    return max(1, len(os.sched_getaffinity(0)))


def threads_per_worker(workers: int) -> int:
    """Native threads of each of ``workers`` processes: the usable cores shared out, >= 1."""
    return max(1, usable_cores() // max(1, workers))


def limit_native_threads(threads: int) -> None:
    """Cap this process's OpenMP, BLAS and OpenCV thread pools at ``threads`` threads.

    Libraries already loaded are capped through threadpoolctl; those loaded later, and the
    process's own children, read the environment variables ``THREAD_ENV_VARS``.
    """
    import cv2
    from threadpoolctl import threadpool_limits

    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)
    threadpool_limits(limits=threads)
    cv2.setNumThreads(threads)


def init_worker_threads(workers: int) -> None:
    """Process-pool initializer: cap native threads at this worker's share of the cores."""
    limit_native_threads(threads_per_worker(workers))


def dask_task_slots(client: Any) -> dict[str, int]:
    """Tasks a Dask cluster runs at once on each host: the sum of its workers' threads."""
    slots: dict[str, int] = {}
    for info in client.scheduler_info()["workers"].values():
        slots[info["host"]] = slots.get(info["host"], 0) + info["nthreads"]
    return slots


def limit_dask_task(slots: dict[str, int]) -> None:
    """In a Dask task: cap native threads at the task's share of its host's cores.

    Called in every task, not once per worker: OpenMP's limit holds per thread, and a
    worker runs tasks in threads of its own. ``slots`` is :func:`dask_task_slots`; a host
    that joined later counts its own worker's threads.
    """
    from distributed import get_worker
    from distributed.comm import get_address_host

    worker = get_worker()
    share = slots.get(get_address_host(worker.address), worker.state.nthreads)
    limit_native_threads(threads_per_worker(share))


def native_thread_counts() -> dict[str, Any]:
    """Largest thread pool of this process per kind: ``{"opencv": n, "openmp": n, "blas": n}``.

    For tests and logs: what a worker really runs with, read inside it. ``omp_env`` is the
    ``OMP_NUM_THREADS`` an OpenMP runtime loaded later will take (absent when unset).
    """
    import cv2
    from threadpoolctl import threadpool_info

    counts: dict[str, Any] = {"opencv": cv2.getNumThreads()}
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        counts["omp_env"] = int(os.environ["OMP_NUM_THREADS"])
    for pool in threadpool_info():
        counts[pool["user_api"]] = max(counts.get(pool["user_api"], 0), pool["num_threads"])
    return counts
