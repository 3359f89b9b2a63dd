"""Visits in the service: the jobs of one (tenant, patient, session, phase) fused as one.

A visit's clips are its jobs. Each finished job becomes a clip of
``posescore.visit.build_visit`` named by its job id: a done job with its stored score (no
re-scoring), a failed job with its error; queued and running jobs wait outside the fusion.
Visits are compared and followed over a course with ``posescore.visit_change``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import Job
from api.tenancy import patient_jobs
from posescore.config import Settings
from posescore.constants import SCHEMA_VERSION
from posescore.contract import Score, Visit, VisitComparison, VisitCourse
from posescore.course import session_number
from posescore.visit import ScoredClip, VisitClip, build_visit
from posescore.visit_change import VisitEntry, build_visit_course, compare_visits

PENDING = ("queued", "running")
STATUSES = ("queued", "running", "done", "failed")
NUMBERED_LABEL = re.compile(r"(.*?)(\d+(?:\.\d+)?)")
"""A session label ending in a number (``day3``: prefix ``day``, number 3)."""


@dataclass(frozen=True)
class VisitJobs:
    """The jobs of one visit of a patient, oldest first."""

    session: str
    phase: str
    jobs: list[Job]

    @property
    def date(self) -> datetime:
        """When the visit's first clip was uploaded."""
        return self.jobs[0].created_at

    @property
    def label(self) -> str:
        """``<session> <phase>``, e.g. ``day1 pre``."""
        return f"{self.session} {self.phase}"

    @property
    def pending(self) -> int:
        """Clips still queued or running."""
        return sum(job.status in PENDING for job in self.jobs)

    def counts(self) -> dict[str, int]:
        """Clips by status (every status, 0 included)."""
        found = Counter(job.status for job in self.jobs)
        return {status: found[status] for status in STATUSES}


def patient_visits(db: Session, tenant: str, patient: str) -> list[VisitJobs]:
    """The visits of a patient of ``tenant``, oldest first; 404 for an unknown patient."""
    grouped: dict[tuple[str, str], list[Job]] = {}
    for job in patient_jobs(db, tenant, patient):
        grouped.setdefault((job.session, job.phase), []).append(job)
    return [VisitJobs(session, phase, jobs) for (session, phase), jobs in grouped.items()]


def find_visit(visits: Sequence[VisitJobs], session: str, phase: str) -> VisitJobs:
    """The visit of ``session`` and ``phase``; 404 naming it when the patient has none."""
    for visit in visits:
        if (visit.session, visit.phase) == (session, phase):
            return visit
    raise HTTPException(404, f"this patient has no visit of session {session}, phase {phase}")


def scored_clip(job: Job) -> ScoredClip:
    """A finished job as a visit clip named by its id: its stored score, or why it has none."""
    clip = VisitClip(Path(job.id), job.task, job.view)
    if job.status != "done" or job.result is None:
        return ScoredClip(clip, None, job.error or f"job is {job.status}")
    version = job.result.get("schema_version")
    if version != SCHEMA_VERSION:
        return ScoredClip(clip, None, f"scored under schema {version}, not {SCHEMA_VERSION}; "
                                      "submit the video again")
    try:
        return ScoredClip(clip, Score.model_validate(job.result))
    except ValidationError:
        return ScoredClip(clip, None, "the stored score is damaged; submit the video again")


def fuse(visit: VisitJobs, settings: Settings) -> Visit:
    """The visit fused from its finished jobs (``posescore.visit.build_visit``)."""
    finished = [job for job in visit.jobs if job.status not in PENDING]
    return build_visit([scored_clip(job) for job in finished], settings)


def compare(
    pre: VisitJobs, post: VisitJobs, settings: Settings
) -> VisitComparison:
    """Two visits of a patient compared leg by leg (``visit_change.compare_visits``)."""
    return compare_visits(fuse(pre, settings), fuse(post, settings), settings,
                          (pre.label, post.label))


def session_numbers(visits: Sequence[VisitJobs]) -> dict[str, int | float]:
    """Each session label's place in the course, for the trends.

    The number the labels end with when all are one prefix and a number, no two the same
    (``day1`` ... ``day10``, ``s01``, ``3``); otherwise (dates, names) 1, 2, ... in the order
    of the sessions' first uploads.
    """
    labels = list(dict.fromkeys(v.session for v in sorted(visits, key=lambda v: v.date)))
    parts = [(m[1], float(m[2])) for m in map(NUMBERED_LABEL.fullmatch, labels) if m]
    prefixes, numbers = {p for p, _ in parts}, {n for _, n in parts}
    if len(parts) == len(numbers) == len(labels) and len(prefixes) == 1:
        return {label: session_number(n) for label, (_, n) in zip(labels, parts)}
    return {label: i + 1 for i, label in enumerate(labels)}


def course(patient: str, visits: Sequence[VisitJobs], settings: Settings) -> VisitCourse:
    """Every visit of the patient fused, trends per leg and phase, per-session changes.

    A visit none of whose clips has finished is a row with no severities and the reason.
    """
    numbers = session_numbers(visits)
    entries, fused, errors = [], [], []
    for visit in visits:
        # the entry's path is only a label here: the visit's name in the course
        entries.append(VisitEntry(Path(visit.session), numbers[visit.session], visit.phase,
                                  visit.date.date().isoformat(), patient))
        ready = visit.pending < len(visit.jobs)
        fused.append(fuse(visit, settings) if ready else None)
        errors.append("" if ready else f"no clip scored yet ({visit.pending} queued or running)")
    return build_visit_course(entries, fused, errors, settings)


def leg_summary(visit: Visit) -> dict[str, Any]:
    """Each leg's fused severity and interval, and the affected side, of a fused visit."""
    return {
        "legs": {side: {"severity": leg.severity, "severity_interval": leg.severity_interval,
                        "judged": leg.judged} for side, leg in visit.legs.items()},
        "affected_side": visit.affected_side,
    }


def tenant_patients(db: Session, tenant: str) -> list[dict[str, Any]]:
    """The tenant's patients with their number of visits and the date of the last one.

    A visit's date is its first upload's; patients are listed by pseudonym.
    """
    first_upload = func.min(Job.created_at)
    rows = db.execute(
        select(Job.patient, Job.session, Job.phase, first_upload, func.count())
        .where(Job.tenant == tenant)
        .group_by(Job.patient, Job.session, Job.phase)
    ).all()
    patients: dict[str, dict[str, Any]] = {}
    for patient, _session, _phase, date, clips in rows:
        entry = patients.setdefault(
            patient, {"patient": patient, "visits": 0, "clips": 0, "last_visit": date})
        entry["visits"] += 1
        entry["clips"] += clips
        entry["last_visit"] = max(entry["last_visit"], date)
    return [patients[p] for p in sorted(patients)]

