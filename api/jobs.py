"""Job queue in the database and the pool of scoring worker processes.

A worker claims the oldest queued job under a lease (``api.leases``: several servers may share
one database), scores it with ``posescore.score.score_video`` and writes the result. Each claim
gets a fresh token: a worker that lost its claim (lease expired, job re-queued) cannot
overwrite the new attempt. The pool renews its leases, re-queues the jobs of a dead worker and
any server's expired leases (marked failed after ``max_attempts`` starts), recycles a worker
whose job runs past ``job_timeout_s`` (the job fails), and on shutdown lets running jobs
finish for ``shutdown_grace_s`` before giving them back to the queue uncounted.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
from multiprocessing.connection import wait
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from typing import Any, Callable, Optional

import numpy as np
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api import leases
from api.compare import compare_next
from api.db import Job, make_engine, make_sessionmaker, utcnow
from api.leases import Claim
from api.overlays import render_job_overlay
from api.settings import ApiSettings
from posescore.config import Settings, load_settings
from posescore.errors import PosescoreError
from posescore.logs import quiet_native_logs
from posescore.model import load_model
from posescore.pose import MediaPipePoseBackend, effective_stride
from posescore.score import ScoreResult, score_video
from posescore.threads import init_worker_threads, native_thread_counts
from posescore.video import probe_video
from posescore.visit import with_view

logger = logging.getLogger(__name__)

PROGRESS_WRITE_PERIOD_S = 0.5
"""Shortest time between two progress writes of one job."""

Scorer = Callable[..., ScoreResult]
"""``score_video``'s signature: what a worker calls to score a job."""


def new_id() -> str:
    """Return a random 32-hex-digit id (jobs, comparisons, upload names)."""
    return uuid.uuid4().hex


def enqueue(
    db: Session,
    *,
    job_id: str,
    tenant: str,
    patient: str,
    session: str,
    phase: str,
    task: str,
    upload_name: str,
    view: Optional[str] = None,
) -> Job:
    """Add a queued job of ``tenant`` for an upload already stored under ``upload_name``.

    ``view`` is the camera view the filmer stated (None: detected when scoring).
    """
    job = Job(
        id=job_id,
        tenant=tenant,
        status="queued",
        patient=patient,
        session=session,
        phase=phase,
        task=task,
        view=view,
        upload_name=upload_name,
        progress=0.0,
        stage="queued",
        attempts=0,
    )
    db.add(job)
    db.commit()
    logger.info("job %s queued", job_id)
    return job


def _update_claimed(sm: sessionmaker, claim: Claim, **values: Any) -> bool:
    with sm.begin() as db:
        return bool(
            db.execute(
                update(Job)
                .where(Job.id == claim.job_id, Job.claim_token == claim.token)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
        )


def requeue_interrupted(
    sm: sessionmaker,
    settings: ApiSettings,
    owner: Optional[str] = None,
    worker_pid: Optional[int] = None,
) -> int:
    """Re-queue expired leases, or one dead worker's jobs (``leases.requeue``); their number.

    The uploads of the jobs given up after ``max_attempts`` starts are discarded.
    """
    done = leases.requeue(sm, settings.max_attempts, owner, worker_pid)
    for name in done.given_up_uploads:
        discard_upload(settings, name)
    return done.requeued


def discard_upload(settings: ApiSettings, upload_name: str) -> None:
    """Delete a stored upload unless ``retain_uploads`` is set."""
    if not settings.retain_uploads:
        (settings.uploads / upload_name).unlink(missing_ok=True)


class ProgressBackend:
    """Pose backend wrapper that reports frames processed; MediaPipe starts on first use."""

    def __init__(self, make_backend: Callable[[], Any], report: Callable[[int], None]) -> None:
        self._make_backend = make_backend
        self._report = report
        self._inner: Any = None
        self.frames_done = 0
        self._last_report = 0.0

    @property
    def name(self) -> str:
        """Name of the wrapped backend."""
        return self._backend().name

    def _backend(self) -> Any:
        if self._inner is None:
            self._inner = self._make_backend()
        return self._inner

    def process(self, frame_rgb: np.ndarray) -> Optional[np.ndarray]:
        """Run the wrapped backend on one frame and report progress now and then."""
        landmarks = self._backend().process(frame_rgb)
        self.frames_done += 1
        now = time.monotonic()
        if now - self._last_report >= PROGRESS_WRITE_PERIOD_S:
            self._last_report = now
            self._report(self.frames_done)
        return landmarks

    def reset(self) -> None:
        """Forget the wrapped backend's tracking state (a new chunk of the video)."""
        if self._inner is not None:
            self._inner.reset()

    def close(self) -> None:
        """Release the wrapped backend if it was started."""
        if self._inner is not None:
            self._inner.close()


def service_score_settings(settings: ApiSettings) -> Settings:
    """The workers' scoring settings: no pose cache and no meta index.

    So nothing derived from an upload is kept outside the database (see ``api.retention``).
    """
    loaded = load_settings(settings.config)
    execution = loaded.execution.model_copy(update={"use_cache": False, "meta_index": False})
    return loaded.model_copy(update={"execution": execution})


def run_job(
    sm: sessionmaker,
    claim: Claim,
    model: Any,
    settings: ApiSettings,
    score_settings: Settings,
    scorer: Scorer = score_video,
) -> None:
    """Score one claimed job with ``scorer`` and ``score_settings``; store its result or error.

    A view the filmer stated for the job is scored as that view, not detected. The overlay
    video (``api.overlays``) is rendered before the job is marked done.
    """
    path = settings.uploads / claim.upload_name
    _update_claimed(sm, claim, stage="reading", progress=0.02)
    backend = None
    try:
        # for the progress bar only: the container's count (score_video counts while tracking)
        meta = probe_video(path, score_settings.video, count_frames=False)
        stride = effective_stride(meta.fps, score_settings.pose)
        n_frames = max(1, meta.frame_count // stride)

        def report(done: int) -> None:
            progress = 0.05 + 0.85 * min(1.0, done / n_frames)
            _update_claimed(sm, claim, stage="pose", progress=round(progress, 3))

        backend = ProgressBackend(lambda: MediaPipePoseBackend(score_settings.pose), report)
        _update_claimed(sm, claim, stage="pose", progress=0.05)
        scored = scorer(
            path, with_view(score_settings, claim.view), model=model, task=claim.task,
            backend=backend,
        )
        result = scored.to_dict()
        _update_claimed(sm, claim, stage="overlay", progress=0.92)
        render_job_overlay(settings, claim.job_id, scored, result)
    except PosescoreError as exc:
        error = str(exc).replace(str(path), "the upload").replace(path.name, "the upload")
        stored = _update_claimed(
            sm, claim, status="failed", stage="failed", error=error, finished_at=utcnow()
        )
        logger.info("job %s failed: %s", claim.job_id, type(exc).__name__)
    except Exception as exc:  # a worker survives one bad job; the error is recorded
        logger.exception("job %s crashed", claim.job_id)
        stored = _update_claimed(
            sm,
            claim,
            status="failed",
            stage="failed",
            error=f"internal error: {type(exc).__name__}",
            finished_at=utcnow(),
        )
    else:
        result["video"]["path"] = claim.upload_name
        stored = _update_claimed(
            sm,
            claim,
            status="done",
            stage="done",
            progress=1.0,
            result=result,
            finished_at=utcnow(),
        )
        logger.info("job %s done", claim.job_id)
    finally:
        if backend is not None:
            backend.close()
    if stored:
        discard_upload(settings, claim.upload_name)
    else:
        logger.warning("job %s was re-claimed meanwhile; this attempt is dropped", claim.job_id)


def _exit_when_orphaned(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(1.0)


def worker_main(
    settings: ApiSettings,
    score_settings: Settings,
    parent_pid: int,
    stop: Event,
    owner: str,
    scorer: Scorer,
) -> None:
    """Worker process: compute comparisons and score jobs until ``stop`` is set or the server dies.

    ``score_settings`` are the server's, read once at its start (``service_score_settings``).
    A waiting comparison goes first: it takes seconds, and a backlog of uploads would
    otherwise hold back every comparison.

    It ignores SIGINT and SIGTERM (sent to a whole process group by a terminal or a service
    manager): the server decides when a running job is given up (``WorkerPool.stop``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    quiet_native_logs()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s[%(process)d]: %(message)s"
    )
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()
    init_worker_threads(settings.workers)
    sm = make_sessionmaker(make_engine(settings.url))
    model = load_model(settings.model)
    pid = os.getpid()
    logger.info("worker %d ready (native threads %s)", pid, native_thread_counts())
    while not stop.is_set():
        try:
            if compare_next(sm, settings, score_settings, model):
                continue
            claim = leases.claim(sm, owner, pid, settings.lease_s)
            if claim is None:
                stop.wait(settings.poll_interval_s)
                continue
            run_job(sm, claim, model, settings, score_settings, scorer)
        except SQLAlchemyError:
            logger.exception("database error in worker %d; retrying", pid)
            stop.wait(5.0)


class WorkerPool:
    """The scoring worker processes of one server: it holds their jobs' leases.

    ``score_settings`` are the server's, read once at its start; ``scorer`` is what the
    workers score with (``score_video``; tests pass a stub).
    """

    def __init__(
        self,
        settings: ApiSettings,
        score_settings: Settings,
        sm: sessionmaker,
        scorer: Scorer = score_video,
    ) -> None:
        self.settings = settings
        self.score_settings = score_settings
        self.sm = sm
        self.scorer = scorer
        self.owner = new_id()
        self._ctx = multiprocessing.get_context("spawn")
        self._stop: Event = self._ctx.Event()
        self._renewed_at = -float("inf")
        self.processes: list[SpawnProcess] = []

    def _spawn(self) -> SpawnProcess:
        proc = self._ctx.Process(
            target=worker_main,
            args=(self.settings, self.score_settings, os.getpid(), self._stop, self.owner,
                  self.scorer),
            name="posescore-worker",
            daemon=True,
        )
        proc.start()
        return proc

    def start(self) -> None:
        """Re-queue jobs whose lease expired (a server died), then start the workers.

        Jobs of other live servers keep running: their leases are renewed.
        """
        n = requeue_interrupted(self.sm, self.settings)
        if n:
            logger.warning("%d interrupted job(s) re-queued", n)
        self.processes = [self._spawn() for _ in range(self.settings.workers)]

    def _heartbeat(self) -> None:
        """Renew this server's leases every third of a lease; re-queue expired leases.

        A database error is logged: the leases last a while, the next beat may get through.
        """
        if time.monotonic() - self._renewed_at < self.settings.lease_s / 3:
            return
        self._renewed_at = time.monotonic()
        try:
            leases.renew(self.sm, self.owner, self.settings.lease_s)
            requeue_interrupted(self.sm, self.settings)
        except SQLAlchemyError:
            logger.exception("database error while renewing the leases")

    def _recycle_overdue(self) -> None:
        """Kill and replace the worker of each job past ``job_timeout_s``; fail the job."""
        timeout_s = self.settings.job_timeout_s
        if not timeout_s:
            return
        for claim, pid in leases.overdue(self.sm, self.owner, timeout_s):
            for i, proc in enumerate(self.processes):
                if proc.pid == pid:
                    proc.kill()
                    proc.join(5.0)
                    self.processes[i] = self._spawn()
            reason = f"timed out after {timeout_s:g} s"
            if _update_claimed(
                self.sm, claim, status="failed", stage="failed", error=reason,
                finished_at=utcnow(),
            ):
                discard_upload(self.settings, claim.upload_name)
            # a job the killed worker claimed after the overdue one finished is not its fault
            leases.release(self.sm, self.owner, pid)
            logger.warning("job %s %s; worker %s recycled", claim.job_id, reason, pid)

    def check(self) -> None:
        """Supervise the workers (about once a second).

        Replace dead workers, re-queueing their jobs; recycle the workers of overdue jobs;
        renew the leases.
        """
        try:
            for i, proc in enumerate(self.processes):
                if not proc.is_alive() and not self._stop.is_set():
                    logger.error(
                        "worker %s exited (code %s); restarting it", proc.pid, proc.exitcode
                    )
                    requeue_interrupted(self.sm, self.settings, self.owner, proc.pid)
                    self.processes[i] = self._spawn()
            self._recycle_overdue()
        except SQLAlchemyError:  # the database may come back
            logger.exception("database error while supervising the workers")
        self._heartbeat()

    @property
    def alive(self) -> int:
        """Number of live workers."""
        return sum(p.is_alive() for p in self.processes)

    def stop(self) -> None:
        """Stop claiming and let running jobs finish, or give them back to the queue.

        Running jobs get ``shutdown_grace_s`` (their leases renewed meanwhile); then their
        workers are killed and the jobs go back to the queue, the attempt not counted.
        """
        self._stop.set()
        deadline = time.monotonic() + self.settings.shutdown_grace_s
        while (running := [p for p in self.processes if p.is_alive()]) and (
            left := deadline - time.monotonic()
        ) > 0:
            wait([p.sentinel for p in running], timeout=min(left, 1.0))
            self._heartbeat()
        for proc in running:
            proc.kill()
            proc.join(5.0)
        n = leases.release(self.sm, self.owner)
        if n:
            logger.warning("%d running job(s) given back to the queue at shutdown", n)
