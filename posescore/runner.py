"""One runner for many items: here, in local worker processes, or on a Dask cluster.

``run_items(fn, items, ...)`` calls ``fn(item)`` for every item and returns one
:class:`Outcome` per item, in the items' order. Batch scoring, training featurisation,
phantom rendering, courses, profiles and visits all run through it.

- **Errors per item**: an exception of a ``catch`` type becomes that item's ``error``
  (:func:`error_text`) and the run goes on; any other exception ends the run.
- **Here** (``workers <= 1`` or a single item): no pool, the caller's native threads.
- **Local** (``workers > 1``): spawned processes (never forked: a process that ran MediaPipe
  must not be forked), each with its share of the cores for its native threads
  (:mod:`posescore.threads`), ignoring SIGINT, then running ``init(*init_args)`` once, so
  per-worker state (a model, a MediaPipe graph) is built once and reused. Items are handed
  out one at a time, largest first when ``sizes`` are given (no long item starts last while
  a worker idles).
- **Dask** (``scheduler``): each item a task on an existing distributed cluster; each task
  caps its threads at its share of its host's cores; ``init`` runs once per worker process.
- **Ctrl-C**: locally the first stops handing out items and waits for the running ones
  (their outcomes are reported), a second abandons them; on Dask the tasks are cancelled.
  ``KeyboardInterrupt`` is then raised to the caller.

``where()`` tells ``init`` and ``fn`` in which of these places they run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, Literal, Optional, TypeVar

from posescore.errors import PosescoreError
from posescore.threads import (
    dask_task_slots,
    limit_dask_task,
    limit_native_threads,
    threads_per_worker,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
Place = Literal["caller", "process", "dask"]


@dataclass(frozen=True)
class Span:
    """When and where one item ran: the process id and wall-clock start and end (epoch s)."""

    pid: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What became of one item: its value, or the one-line error that stopped it.

    ``span`` says when and in which process it ran (None if its worker died).
    """

    item: T
    value: Optional[R] = None
    error: str = ""
    span: Optional[Span] = None

    @property
    def ok(self) -> bool:
        """Whether the item ran to the end."""
        return not self.error


ProgressCallback = Callable[[Outcome, int, int], None]
"""Called in the caller's process as each item ends: (its outcome, items ended, items)."""

_PLACE: dict[str, Any] = {"place": "caller", "initialised": {}}
_TASK = threading.local()
"""``place`` of a Dask task's thread (a worker may share its process with the caller)."""


def where() -> Place:
    """Where this code runs: the caller's process, a local worker process or a Dask task."""
    return getattr(_TASK, "place", _PLACE["place"])


def error_text(exc: BaseException) -> str:
    """One line for an item's error: a PosescoreError's message, else ``internal error: ...``."""
    if isinstance(exc, PosescoreError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def initialise(
    init: Optional[Callable[..., None]], init_args: tuple = (), fresh: bool = False
) -> None:
    """Run ``init(*init_args)`` in this process unless it already ran with equal arguments.

    ``fresh`` runs it anyway (a caller preparing its own process: files may have changed).
    """
    if init is not None and (fresh or _PLACE["initialised"].get(init) != init_args):
        init(*init_args)
        _PLACE["initialised"][init] = init_args


def _attempt(
    fn: Callable[[T], R], item: T, catch: tuple
) -> tuple[Optional[R], str, Span]:
    """``fn(item)`` and no error, or no value and the error of a ``catch`` exception; its span."""
    start = time.time()
    try:
        value, error = fn(item), ""
    except catch as exc:
        value, error = None, error_text(exc)
    return value, error, Span(os.getpid(), start, time.time())


def _start_worker(
    threads: int, ignore_sigint: bool, init: Optional[Callable[..., None]], init_args: tuple
) -> None:
    """Local worker initialiser: thread limits first (libraries loaded later read them)."""
    limit_native_threads(threads)
    if ignore_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _PLACE["place"] = "process"
    initialise(init, init_args)


def process_pool(
    workers: int,
    share: Optional[int] = None,
    init: Optional[Callable[..., None]] = None,
    init_args: tuple = (),
    ignore_sigint: bool = True,
) -> ProcessPoolExecutor:
    """``workers`` spawned processes, each with ``1 / share`` of the cores (default: workers).

    Each caps its native threads, ignores SIGINT (unless told not to) and runs ``init``.
    """
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(threads_per_worker(share or workers), ignore_sigint, init, init_args),
    )


def run_items(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int = 1,
    scheduler: Optional[str] = None,
    init: Optional[Callable[..., None]] = None,
    init_args: tuple = (),
    sizes: Optional[Sequence[int]] = None,
    progress: Optional[ProgressCallback] = None,
    catch: tuple[type[BaseException], ...] = (Exception,),
) -> list[Outcome[T, R]]:
    """Run ``fn`` on every item (see the module docstring); outcomes in the items' order.

    Parameters
    ----------
    fn : callable
        Module-level (picklable) unless the items run here.
    items : sequence
        Picklable unless they run here.
    workers : int
        Local processes; 1 runs the items in this process.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); ``workers`` is then ignored.
    init, init_args : callable, tuple
        Per-process set-up (model, graph), run once in every process that runs items.
    sizes : sequence of int, optional
        Size of each item (bytes of a video): the largest are handed out first.
    progress : callable, optional
        ``progress(outcome, n_ended, n_items)`` as each item ends.
    catch : tuple of exception types
        Exceptions that become an item's error; others end the run.

    Raises
    ------
    KeyboardInterrupt
        After Ctrl-C, once the running items have been reported (locally).
    PosescoreError
        Dask missing or its scheduler unreachable.
    """
    order = list(range(len(items)))
    if sizes is not None:
        order.sort(key=lambda i: sizes[i], reverse=True)
    ended: dict[int, Outcome[T, R]] = {}

    def report(i: int, value: Optional[R], error: str, span: Optional[Span] = None) -> None:
        ended[i] = Outcome(items[i], value, error, span)
        if progress is not None:
            progress(ended[i], len(ended), len(items))

    if scheduler is not None:
        _run_dask(fn, items, order, scheduler, init, init_args, catch, report)
    elif workers <= 1 or len(items) <= 1:
        initialise(init, init_args)
        for i in order:
            report(i, *_attempt(fn, items[i], catch))
    else:
        _run_local(fn, items, order, workers, init, init_args, catch, report)
    return [ended[i] for i in range(len(items))]


Report = Callable[..., None]
"""``report(index, value, error, span=None)``."""


def _run_local(
    fn: Callable, items: Sequence, order: list[int], workers: int,
    init: Optional[Callable[..., None]], init_args: tuple, catch: tuple, report: Report,
) -> None:
    """Hand items to ``workers`` processes one at a time, in ``order``."""
    pending: dict[Future, int] = {}
    queue = list(order)
    pool = process_pool(workers, init=init, init_args=init_args)

    def collect(fut: Future, i: int) -> None:
        try:
            report(i, *fut.result())
        except catch as exc:  # the worker died (e.g. killed): the item's error
            report(i, None, error_text(exc))

    try:
        while queue or pending:
            while queue and len(pending) < workers:
                i = queue.pop(0)
                pending[pool.submit(_attempt, fn, items[i], catch)] = i
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                collect(fut, pending.pop(fut))
    except KeyboardInterrupt:
        logger.warning("interrupted: finishing %d running item(s)", len(pending))
        try:
            for fut, i in list(pending.items()):
                try:
                    collect(fut, i)
                except Exception:  # noqa: BLE001 - nothing to report for a lost worker
                    pass
        except KeyboardInterrupt:
            logger.warning("abandoning running items")
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _dask_task(
    fn: Callable, item: Any, init: Optional[Callable[..., None]], init_args: tuple,
    slots: dict[str, int], catch: tuple,
) -> tuple[Any, str, Span]:
    """Dask task: threads capped at the task's share of its host, ``init`` once per process."""
    limit_dask_task(slots)
    _TASK.place = "dask"
    initialise(init, init_args)
    return _attempt(fn, item, catch)


def _run_dask(
    fn: Callable, items: Sequence, order: list[int], scheduler: str,
    init: Optional[Callable[..., None]], init_args: tuple, catch: tuple, report: Report,
) -> None:
    """Run the items as tasks on an existing Dask distributed cluster."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise PosescoreError(
            "--scheduler needs Dask: pip install 'posescore[dask]' (dask, distributed)"
        ) from exc
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise PosescoreError(f"cannot connect to the Dask scheduler {scheduler}: {exc}") from exc
    futures: dict[Any, int] = {}
    try:
        [args_ref] = client.scatter([init_args], broadcast=True)
        slots = dask_task_slots(client)
        for i in order:
            fut = client.submit(_dask_task, fn, items[i], init, args_ref, slots, catch,
                                pure=False)
            futures[fut] = i
        for fut in as_completed(list(futures)):
            try:
                result = fut.result()
            except catch as exc:  # a worker died or the task was lost: the item's error
                result = (None, error_text(exc))
            report(futures[fut], *result)
    except KeyboardInterrupt:
        logger.warning("interrupted: cancelling %d Dask task(s)", len(futures))
        client.cancel(list(futures))
        raise
    finally:
        client.close()
