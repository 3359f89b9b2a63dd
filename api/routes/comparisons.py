"""``/v1/comparisons``: ask for a pre/post comparison (queued, 202), then poll it.

A comparison is computed by a worker once both its jobs are finished
(``api.compare.compare_next``), never in a request; these routes only store and read it.
"""

from __future__ import annotations

from typing import Literal, Optional

from fastapi import HTTPException, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from api.db import Comparison
from api.jobs import new_id
from api.routes.deps import DB, Key, needs, v1
from api.routes.jobs import JobStatus, job_status
from api.tenancy import tenant_comparison, tenant_job
from api.validation import unicode_text
from posescore import contract


class ComparisonRequest(BaseModel):
    """Two jobs of one patient: before and after a treatment session."""

    pre_job_id: str
    post_job_id: str

    @field_validator("pre_job_id", "post_job_id")
    @classmethod
    def _unicode(cls, value: str) -> str:
        if unicode_text(value) != value:  # echoed in the 404, which could not be rendered
            raise ValueError("not Unicode text (a lone surrogate)")
        return value


class ComparisonStatus(BaseModel):
    """A comparison; ``comparison`` is set once a worker computed it, ``error`` if it failed."""

    comparison_id: str
    status: Literal["pending", "done", "failed"] = Field(
        description="pending: waiting for its jobs or for a worker; done; failed (see error)."
    )
    pre: JobStatus
    post: JobStatus
    comparison: Optional[contract.Comparison]
    error: Optional[str] = Field(
        None, description="Why there is no comparison: a job failed, or the scores lack "
        "per-stride values."
    )


def comparison_status(db: Session, tenant: str, comparison: Comparison) -> ComparisonStatus:
    """Public view of a comparison and its two jobs (``running`` shows as ``pending``)."""
    done = comparison.status == "done" and comparison.result is not None
    return ComparisonStatus(
        comparison_id=comparison.id,
        status="failed" if comparison.status == "failed" else "done" if done else "pending",
        pre=job_status(tenant_job(db, tenant, comparison.pre_job_id)),
        post=job_status(tenant_job(db, tenant, comparison.post_job_id)),
        comparison=contract.Comparison.model_validate(comparison.result) if done else None,
        error=comparison.error,
    )


@v1.post(
    "/comparisons",
    status_code=202,
    response_model=ComparisonStatus,
    response_model_exclude_unset=True,
    dependencies=[needs("submit")],
)
def submit_comparison(
    body: ComparisonRequest, request: Request, response: Response, db: DB, key: Key
) -> ComparisonStatus:
    """Queue the comparison of a pre and a post job of one patient (poll it for the result)."""
    pre = tenant_job(db, key.tenant, body.pre_job_id)
    post = tenant_job(db, key.tenant, body.post_job_id)
    if pre.patient != post.patient:
        raise HTTPException(422, "the two jobs belong to different patients")
    if (pre.phase, post.phase) != ("pre", "post"):
        raise HTTPException(422, "pre_job_id must be a 'pre' job and post_job_id a 'post' job")
    comparison = Comparison(
        id=new_id(), tenant=key.tenant, pre_job_id=pre.id, post_job_id=post.id,
        status="pending", attempts=0,
    )
    db.add(comparison)
    db.commit()
    request.state.audit_resource = comparison.id
    response.headers["Location"] = f"/v1/comparisons/{comparison.id}"
    return comparison_status(db, key.tenant, comparison)


@v1.get(
    "/comparisons/{comparison_id}", response_model=ComparisonStatus,
    response_model_exclude_unset=True, dependencies=[needs("read")],
)
def read_comparison(comparison_id: str, db: DB, key: Key) -> ComparisonStatus:
    """Return a comparison: pending, done with its result, or failed with the reason.

    A result stored under an older comparison schema is queued again for a worker.
    """
    comparison = tenant_comparison(db, key.tenant, comparison_id)
    stale = comparison.result is not None and \
        comparison.result.get("schema") != contract.COMPARE_SCHEMA
    if stale:
        comparison.status, comparison.result, comparison.attempts = "pending", None, 0
        db.commit()
    return comparison_status(db, key.tenant, comparison)
