"""Job queue in the database and the pool of scoring worker processes.

A worker claims the oldest queued job with one atomic UPDATE (safe with several workers on
SQLite and PostgreSQL), scores it with ``posescore.score.score_video`` and writes the result.
Each claim gets a fresh token: a worker that lost its claim (server killed, job re-queued)
cannot overwrite the new attempt. Jobs left running by a dead worker or a killed server are
re-queued, and marked failed after ``max_attempts`` starts.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
import uuid
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from typing import Any, Callable, Optional

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.db import Job, make_engine, make_sessionmaker, utcnow
from api.settings import ApiSettings
from posescore.config import Settings, load_settings
from posescore.errors import PosescoreError
from posescore.logs import quiet_native_logs
from posescore.model import load_model
from posescore.pose import MediaPipePoseBackend, effective_stride
from posescore.score import score_video
from posescore.threads import init_worker_threads, native_thread_counts
from posescore.video import probe_video

logger = logging.getLogger(__name__)

PROGRESS_WRITE_PERIOD_S = 0.5
"""Shortest time between two progress writes of one job."""


@dataclass(frozen=True)
class Claim:
    """A job a worker holds: its id, claim token, task and stored upload name."""

    job_id: str
    token: str
    task: str
    upload_name: str


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
) -> Job:
    """Add a queued job of ``tenant`` for an upload already stored under ``upload_name``."""
    job = Job(
        id=job_id,
        tenant=tenant,
        status="queued",
        patient=patient,
        session=session,
        phase=phase,
        task=task,
        upload_name=upload_name,
        progress=0.0,
        stage="queued",
        attempts=0,
    )
    db.add(job)
    db.commit()
    logger.info("job %s queued", job_id)
    return job


def claim_next(sm: sessionmaker, worker_pid: int) -> Optional[Claim]:
    """Atomically mark the oldest queued job running for this worker; None if none is queued."""
    token = new_id()
    oldest = (
        select(Job.id).where(Job.status == "queued").order_by(Job.created_at).limit(1)
    ).scalar_subquery()
    with sm.begin() as db:
        claimed = db.execute(
            update(Job)
            .where(Job.id == oldest, Job.status == "queued")
            .values(
                status="running",
                claim_token=token,
                worker_pid=worker_pid,
                attempts=Job.attempts + 1,
                started_at=utcnow(),
                stage="starting",
                progress=0.0,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    if not claimed:
        return None
    with sm() as db:
        job = db.scalars(select(Job).where(Job.claim_token == token)).one()
        return Claim(job.id, token, job.task, job.upload_name)


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


def requeue_running(
    sm: sessionmaker, settings: ApiSettings, worker_pid: Optional[int] = None
) -> int:
    """Re-queue jobs left running (by one dead worker, or all after a restart).

    Jobs already started ``max_attempts`` times are marked failed instead and their upload
    is discarded. Returns the number of jobs re-queued.
    """
    query = select(Job).where(Job.status == "running")
    if worker_pid is not None:
        query = query.where(Job.worker_pid == worker_pid)
    requeued = 0
    with sm.begin() as db:
        for job in db.scalars(query):
            job.claim_token = None
            job.worker_pid = None
            if job.attempts >= settings.max_attempts:
                job.status, job.stage, job.finished_at = "failed", "failed", utcnow()
                job.error = f"scoring stopped unexpectedly {job.attempts} times; giving up"
                discard_upload(settings, job.upload_name)
                logger.warning("job %s failed after %d attempts", job.id, job.attempts)
            else:
                job.status, job.stage, job.progress = "queued", "queued", 0.0
                requeued += 1
                logger.warning("job %s re-queued (attempt %d interrupted)", job.id, job.attempts)
    return requeued


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
    sm: sessionmaker, claim: Claim, model: Any, settings: ApiSettings, score_settings: Settings
) -> None:
    """Score one claimed job with ``score_settings`` and store its result or its error."""
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
        result = score_video(
            path, score_settings, model=model, task=claim.task, backend=backend
        ).to_dict()
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
    settings: ApiSettings, score_settings: Settings, parent_pid: int, stop: Event
) -> None:
    """Worker process: claim and score jobs until ``stop`` is set or the server dies.

    ``score_settings`` are the server's, read once at its start (``service_score_settings``).
    """
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
            claim = claim_next(sm, pid)
            if claim is None:
                stop.wait(settings.poll_interval_s)
                continue
            run_job(sm, claim, model, settings, score_settings)
        except SQLAlchemyError:
            logger.exception("database error in worker %d; retrying", pid)
            stop.wait(5.0)


class WorkerPool:
    """The scoring worker processes of one server; restarts a worker that died."""

    def __init__(self, settings: ApiSettings, score_settings: Settings, sm: sessionmaker) -> None:
        self.settings = settings
        self.score_settings = score_settings
        self.sm = sm
        self._ctx = multiprocessing.get_context("spawn")
        self._stop: Event = self._ctx.Event()
        self.processes: list[SpawnProcess] = []

    def _spawn(self) -> SpawnProcess:
        proc = self._ctx.Process(
            target=worker_main,
            args=(self.settings, self.score_settings, os.getpid(), self._stop),
            name="posescore-worker",
            daemon=True,
        )
        proc.start()
        return proc

    def start(self) -> None:
        """Re-queue jobs a previous server left running, then start the workers."""
        n = requeue_running(self.sm, self.settings)
        if n:
            logger.warning("%d interrupted job(s) re-queued", n)
        self.processes = [self._spawn() for _ in range(self.settings.workers)]

    def check(self) -> None:
        """Replace dead workers, re-queueing the job each was running."""
        for i, proc in enumerate(self.processes):
            if not proc.is_alive() and not self._stop.is_set():
                logger.error("worker %s exited (code %s); restarting it", proc.pid, proc.exitcode)
                requeue_running(self.sm, self.settings, worker_pid=proc.pid)
                self.processes[i] = self._spawn()

    @property
    def alive(self) -> int:
        """Number of live workers."""
        return sum(p.is_alive() for p in self.processes)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the workers; a job still running is re-queued at the next start."""
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for proc in self.processes:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in self.processes:
            if proc.is_alive():
                proc.terminate()
                proc.join(2.0)
