"""Tenant scoping: every job, comparison and patient is looked up within the caller's tenant.

Another tenant's ids answer exactly like unknown ids (404, same message), so ids and
pseudonyms cannot be probed across tenants. A patient is a pseudonym within one tenant: the
same pseudonym in two tenants is two patients.
"""

from __future__ import annotations

import re

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Comparison, Job

ID_PATTERN = re.compile(r"[0-9a-f]{32}")
"""Job and comparison ids (``api.jobs.new_id``). Any other text is unknown without a query:
a NUL or a lone surrogate in it would make the database driver fail (a 500, not a 404)."""


def tenant_job(db: Session, tenant: str, job_id: str) -> Job:
    """Return the job ``job_id`` of ``tenant``; 404 if unknown or another tenant's."""
    job = db.get(Job, job_id) if ID_PATTERN.fullmatch(job_id) else None
    if job is None or job.tenant != tenant:
        raise HTTPException(404, f"no job {job_id}")
    return job


def tenant_comparison(db: Session, tenant: str, comparison_id: str) -> Comparison:
    """Return the comparison ``comparison_id`` of ``tenant``; 404 if unknown or another's."""
    comparison = db.get(Comparison, comparison_id) if ID_PATTERN.fullmatch(comparison_id) else None
    if comparison is None or comparison.tenant != tenant:
        raise HTTPException(404, f"no comparison {comparison_id}")
    return comparison


def patient_jobs(db: Session, tenant: str, patient: str) -> list[Job]:
    """The jobs of the patient ``patient`` (a pseudonym) of ``tenant``, oldest first.

    404 if there are none (an unknown patient, or another tenant's).
    """
    query = select(Job).where(Job.tenant == tenant, Job.patient == patient)
    jobs = list(db.scalars(query.order_by(Job.created_at)))
    if not jobs:
        raise HTTPException(404, "no jobs for this patient")
    return jobs

