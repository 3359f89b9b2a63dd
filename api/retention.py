"""Retention and erasure: a job's upload, score, comparisons and row go together.

One policy (``POSESCORE_RETENTION_DAYS``) covers everything the service keeps of an upload:
the video (when ``retain_uploads`` keeps it), its overlay video, the job row with its score
and the comparisons that use it. The workers write no pose cache or meta index
(``service_score_settings``), so nothing derived from an upload lives outside the database,
the upload folder and the overlay folder. Deleting a job or erasing a patient removes the
same set at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.db import AuditEntry, Comparison, Job
from api.overlays import erase_overlays
from api.settings import ApiSettings

logger = logging.getLogger(__name__)

FINISHED = ("done", "failed")


def erase_jobs(db: Session, settings: ApiSettings, jobs: Sequence[Job]) -> int:
    """Delete ``jobs``, their comparisons, uploads and overlays; commit; return how many."""
    ids = [job.id for job in jobs]
    if not ids:
        return 0
    db.execute(
        delete(Comparison).where(
            or_(Comparison.pre_job_id.in_(ids), Comparison.post_job_id.in_(ids))
        )
    )
    db.execute(delete(Job).where(Job.id.in_(ids)))
    db.commit()
    if db.get_bind().dialect.name == "sqlite":  # no old page left in the write-ahead log
        db.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    for job in jobs:
        (settings.uploads / job.upload_name).unlink(missing_ok=True)
    erase_overlays(settings, ids)
    return len(ids)


def expire(sm: sessionmaker, settings: ApiSettings, now: datetime) -> int:
    """Erase the finished jobs older than the retention period; audit each; return how many."""
    if settings.retention_days <= 0:
        return 0
    cutoff = now - timedelta(days=settings.retention_days)
    with sm() as db:
        jobs = list(
            db.scalars(select(Job).where(Job.status.in_(FINISHED), Job.created_at < cutoff))
        )
        db.add_all(
            AuditEntry(tenant=job.tenant, action="job.expire", resource=job.id, outcome=200)
            for job in jobs
        )
        n = erase_jobs(db, settings, jobs)
    if n:
        logger.info("%d job(s) past the retention period erased", n)
    return n
