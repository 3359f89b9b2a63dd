"""``/v1/patients/...``: visits, visit comparison, a patient's course, the patient list.

A visit is the uploads of one patient's session and phase, fused. Everything is computed
from the stored scores (``api.visits``), never by scoring again. The pseudonym is sent in
the body, never in the URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from api import visits
from api.audit import patient_ref
from api.routes.deps import DB, NAME_PATTERN, Key, needs, v1
from api.routes.jobs import JobStatus, job_status
from api.routes.patients import PatientRequest
from posescore.constants import Side
from posescore.contract import Visit, VisitComparison, VisitCourse
from posescore.contract.score import Interval
from posescore.plain import model_sentence

Phase = Literal["pre", "post"]


class VisitRef(BaseModel):
    """One visit of a patient: a session label and a phase."""

    session: str = Field(pattern=NAME_PATTERN, description="Session label, e.g. day1.")
    phase: Phase


class VisitRequest(PatientRequest, VisitRef):
    """A patient's visit."""


class VisitComparisonRequest(PatientRequest):
    """Two visits of one patient: usually a session's pre and post."""

    pre: VisitRef
    post: VisitRef


class TenantRequest(BaseModel):
    """An empty body: the answer covers the key's tenant."""

    model_config = ConfigDict(extra="forbid")


class ServiceVisit(Visit):
    """The contract Visit, its session and phase, and every upload of it.

    ``clips[].video`` is a job id; a failed job is a clip with its error; queued and running
    jobs are in ``jobs`` only (the visit is fused again from the stored scores on each call).
    """

    session: str
    phase: Phase
    jobs: list[JobStatus] = Field(description="Every upload of the visit, oldest first.")


class LegSeverity(BaseModel):
    """A leg's fused severity over a visit."""

    severity: Optional[float] = Field(description="0-4; null when no clip could judge it.")
    severity_interval: Optional[Interval] = Field(description="90 %, 0-4.")
    judged: bool


class VisitSummary(BaseModel):
    """One visit in a patient's list."""

    session: str
    phase: Phase
    date: datetime = Field(description="When its first clip was uploaded.")
    clips: dict[str, int] = Field(description="Uploads by status (queued, running, done, "
                                  "failed).")
    ready: bool = Field(description="No upload queued or running.")
    legs: Optional[dict[Side, LegSeverity]] = Field(description="Fused; null until ready.")
    affected_side: Optional[str] = Field(description="Null until ready or if a leg is unjudged.")


class PatientVisits(BaseModel):
    """A patient's visits, oldest first."""

    patient: str
    visits: list[VisitSummary]
    notice: str = Field(description="The model behind the severities and its standing.")


class PatientRow(BaseModel):
    """One patient of the tenant."""

    patient: str = Field(description="Pseudonym.")
    visits: int = Field(description="Visits: distinct (session, phase).")
    clips: int = Field(description="Uploads of any status.")
    last_visit: datetime = Field(description="First upload of the latest visit.")


class PatientList(BaseModel):
    """The tenant's patients, by pseudonym."""

    patients: list[PatientRow]


def _audited_visits(
    body: PatientRequest, request: Request, db: DB, key: Key
) -> list[visits.VisitJobs]:
    """The patient's visits (404 if none); the call audited under the patient's reference."""
    request.state.audit_resource = patient_ref(key.tenant, body.patient)
    return visits.patient_visits(db, key.tenant, body.patient)


@v1.post("/patients/visit", response_model=ServiceVisit, response_model_exclude_unset=True,
         dependencies=[needs("read")])
def patient_visit(body: VisitRequest, request: Request, db: DB, key: Key) -> dict[str, Any]:
    """A visit fused from its scored uploads; 404 when the patient has no such visit."""
    visit = visits.find_visit(_audited_visits(body, request, db, key), body.session, body.phase)
    fused = visits.fuse(visit, request.app.state.score_settings)
    return {**fused.to_json(), "session": visit.session, "phase": visit.phase,
            "jobs": [job_status(job) for job in visit.jobs]}


@v1.post("/patients/visits", response_model=PatientVisits, dependencies=[needs("read")])
def patient_visits(
    body: PatientRequest, request: Request, db: DB, key: Key
) -> PatientVisits:
    """A patient's visits with clip counts and, once scored, each leg's fused severity."""
    rows = []
    for visit in _audited_visits(body, request, db, key):
        ready = visit.pending == 0
        fused = {"legs": None, "affected_side": None}
        if ready:
            fused = visits.leg_summary(visits.fuse(visit, request.app.state.score_settings))
        rows.append(VisitSummary(session=visit.session, phase=visit.phase,  # type: ignore[arg-type]
                                 date=visit.date, clips=visit.counts(), ready=ready, **fused))
    return PatientVisits(patient=body.patient, visits=rows,
                         notice=model_sentence(request.app.state.model.card))


@v1.post("/patients/list", response_model=PatientList, dependencies=[needs("read")])
def patient_list(body: TenantRequest, db: DB, key: Key) -> PatientList:
    """The tenant's patients with their number of visits and the date of the last one."""
    return PatientList.model_validate({"patients": visits.tenant_patients(db, key.tenant)})


@v1.post("/patients/visit-comparison", response_model=VisitComparison,
         response_model_exclude_unset=True, dependencies=[needs("read")])
def visit_comparison(
    body: VisitComparisonRequest, request: Request, db: DB, key: Key
) -> VisitComparison:
    """Two visits of a patient, leg by leg: change and whether it is beyond noise (MDC95)."""
    found = _audited_visits(body, request, db, key)
    pre, post = (visits.find_visit(found, ref.session, ref.phase) for ref in (body.pre, body.post))
    return visits.compare(pre, post, request.app.state.score_settings)


@v1.post("/patients/course", response_model=VisitCourse, response_model_exclude_unset=True,
         dependencies=[needs("read")])
def patient_course(body: PatientRequest, request: Request, db: DB, key: Key) -> VisitCourse:
    """Every visit of a patient fused: trend per leg and phase, per-session pre/post change."""
    found = _audited_visits(body, request, db, key)
    return visits.course(body.patient, found, request.app.state.score_settings)
