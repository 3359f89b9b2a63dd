"""``/v1/patients``: a patient's sessions and severity trend, and erasure of a patient.

The pseudonym is sent in the body, never in the URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field

from api.audit import patient_ref
from api.retention import erase_jobs
from api.routes.deps import DB, NAME_PATTERN, Key, needs, v1
from api.routes.jobs import JobStatus, job_status
from api.tenancy import patient_jobs


class PatientRequest(BaseModel):
    """A patient, named in the body so pseudonyms never appear in URLs or access logs."""

    patient: str = Field(pattern=NAME_PATTERN, description="Patient pseudonym (never a name).")


@v1.post("/patients/sessions", dependencies=[needs("read")])
def patient_sessions(
    body: PatientRequest, request: Request, db: DB, key: Key
) -> dict[str, Any]:
    """List a patient's sessions (jobs by session, oldest first) and the severity trend.

    ``trend`` lists every scored video in time order with both legs' severity.
    """
    patient = body.patient
    request.state.audit_resource = patient_ref(key.tenant, patient)
    jobs = patient_jobs(db, key.tenant, patient)
    sessions: dict[str, list[JobStatus]] = {}
    for job in jobs:
        sessions.setdefault(job.session, []).append(job_status(job))
    trend = [
        {
            "session": job.session,
            "phase": job.phase,
            "task": job.task,
            "job_id": job.id,
            "scored_at": job.finished_at,
            "left_severity": job.result["legs"]["left"]["severity"],
            "right_severity": job.result["legs"]["right"]["severity"],
            "affected_side": job.result["affected_side"],
        }
        for job in jobs
        if job.status == "done" and job.result is not None
    ]
    return {
        "patient": patient,
        "sessions": [{"session": s, "jobs": js} for s, js in sessions.items()],
        "trend": trend,
    }


@v1.post("/patients/erase", dependencies=[needs("admin")])
def erase_patient(
    body: PatientRequest, request: Request, db: DB, key: Key
) -> dict[str, int]:
    """Erase a patient: every job of the pseudonym with its upload, score and comparisons."""
    request.state.audit_resource = patient_ref(key.tenant, body.patient)
    jobs = patient_jobs(db, key.tenant, body.patient)
    return {"erased_jobs": erase_jobs(db, request.app.state.settings, jobs)}
