"""Job leases: several servers share one queue in the database.

A worker claims the oldest queued job in one statement, ``UPDATE jobs ... WHERE id = (SELECT
... FOR UPDATE SKIP LOCKED) RETURNING ...``: on PostgreSQL concurrent claimers (any server)
skip a row another is taking instead of waiting for it; SQLite has no SKIP LOCKED (its dialect
leaves the clause out) and runs the statement under its one write lock, which is atomic for
the processes of one host.

A claim is a lease: the claiming server's ``owner`` id, the worker's pid, a token of this
attempt and an expiry, all written with the claim. Times come from the database's clock on
PostgreSQL, so servers on several hosts need not agree on the time. The server renews the
leases of its running jobs (``renew``, its heartbeat); when a server dies its leases run out
and any server re-queues the job (``requeue``), which counts as an attempt. A server stopping
gracefully gives its jobs back (``release``), which does not.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db import Job, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """A job a worker holds: its id, claim token, task, stored upload name and stated view."""

    job_id: str
    token: str
    task: str
    upload_name: str
    view: Optional[str] = None


@dataclass(frozen=True)
class Requeued:
    """What ``requeue`` did: jobs put back in the queue, and uploads of the jobs given up."""

    requeued: int
    given_up_uploads: list[str]


def db_now(db: Session) -> datetime:
    """Current time: the database's clock on PostgreSQL (shared by all servers), else ours."""
    if db.get_bind().dialect.name == "postgresql":
        return db.scalar(select(func.now()))
    return utcnow()


def claim(sm: sessionmaker, owner: str, worker_pid: int, lease_s: float) -> Optional[Claim]:
    """Claim the oldest queued job for ``owner``'s worker ``worker_pid``; None if none is free.

    The job becomes ``running`` with a lease of ``lease_s`` seconds and one more attempt.
    """
    token = uuid.uuid4().hex
    oldest = (
        select(Job.id)
        .where(Job.status == "queued")
        .order_by(Job.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with sm.begin() as db:
        now = db_now(db)
        row = db.execute(
            update(Job)
            .where(Job.id == oldest, Job.status == "queued")
            .values(
                status="running",
                claim_token=token,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_s),
                worker_pid=worker_pid,
                attempts=Job.attempts + 1,
                started_at=now,
                stage="starting",
                progress=0.0,
            )
            .returning(Job.id, Job.task, Job.upload_name, Job.view)
            .execution_options(synchronize_session=False)
        ).one_or_none()
    return None if row is None else Claim(row.id, token, row.task, row.upload_name, row.view)


def renew(sm: sessionmaker, owner: str, lease_s: float) -> int:
    """Extend the leases of ``owner``'s running jobs to ``lease_s`` from now; their number."""
    with sm.begin() as db:
        expires = db_now(db) + timedelta(seconds=lease_s)
        return db.execute(
            update(Job)
            .where(Job.lease_owner == owner, Job.status == "running")
            .values(lease_expires_at=expires)
            .execution_options(synchronize_session=False)
        ).rowcount


def _back_in_queue(job: Job) -> None:
    job.status, job.stage, job.progress = "queued", "queued", 0.0
    job.claim_token = job.worker_pid = job.lease_owner = job.lease_expires_at = None


def requeue(
    sm: sessionmaker,
    max_attempts: int,
    owner: Optional[str] = None,
    worker_pid: Optional[int] = None,
) -> Requeued:
    """Re-queue interrupted jobs; the interrupted attempt counts.

    Without ``owner``: the running jobs whose lease has expired (their server died). With
    ``owner`` and ``worker_pid``: the running jobs of that worker (it died). A job already
    started ``max_attempts`` times is marked failed instead; its upload name is returned so
    the caller can discard it.
    """
    query = select(Job).where(Job.status == "running").with_for_update(skip_locked=True)
    with sm.begin() as db:
        if owner is None:
            now = db_now(db)
            query = query.where(or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < now))
        else:
            query = query.where(Job.lease_owner == owner, Job.worker_pid == worker_pid)
        requeued, given_up = 0, []
        for job in db.scalars(query):
            if job.attempts >= max_attempts:
                job.status, job.stage, job.finished_at = "failed", "failed", utcnow()
                job.error = f"scoring stopped unexpectedly {job.attempts} times; giving up"
                job.claim_token = job.lease_owner = job.lease_expires_at = None
                given_up.append(job.upload_name)
                logger.warning("job %s failed after %d attempts", job.id, job.attempts)
            else:
                _back_in_queue(job)
                requeued += 1
                logger.warning("job %s re-queued (attempt %d interrupted)", job.id, job.attempts)
    return Requeued(requeued, given_up)


def release(sm: sessionmaker, owner: str, worker_pid: Optional[int] = None) -> int:
    """Give ``owner``'s running jobs (or one worker's) back to the queue, uncounted.

    For a graceful stop: the attempt taken by the claim is handed back. Returns how many.
    """
    query = select(Job).where(Job.status == "running", Job.lease_owner == owner)
    if worker_pid is not None:
        query = query.where(Job.worker_pid == worker_pid)
    with sm.begin() as db:
        jobs = list(db.scalars(query.with_for_update()))
        for job in jobs:
            _back_in_queue(job)
            job.attempts -= 1
            logger.info("job %s released to the queue", job.id)
    return len(jobs)


def overdue(sm: sessionmaker, owner: str, timeout_s: float) -> list[tuple[Claim, int]]:
    """``owner``'s jobs running for longer than ``timeout_s``, each with its worker's pid."""
    with sm() as db:
        cutoff = db_now(db) - timedelta(seconds=timeout_s)
        jobs = db.scalars(
            select(Job).where(
                Job.status == "running", Job.lease_owner == owner, Job.started_at < cutoff
            )
        )
        return [
            (Claim(job.id, job.claim_token, job.task, job.upload_name, job.view), job.worker_pid)
            for job in jobs
        ]
