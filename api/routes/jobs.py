"""``/v1/jobs``: upload a video (queued for the workers), read its status and score, delete it.

The API process only streams the upload to disk and checks its first bytes
(``api.uploads``); decoding and probing the video is the worker's first step, and a file
that does not read as a video fails its job with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from fastapi import HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError, field_validator

from api.db import Job
from api.jobs import enqueue, new_id
from api.overlays import overlay_path
from api.retention import erase_jobs
from api.routes.deps import DB, NAME_PATTERN, Key, needs, v1
from api.settings import ApiSettings
from api.tenancy import tenant_job
from api.uploads import receive_upload
from posescore import contract
from posescore.config import View
from posescore.constants import SCHEMA_VERSION, TASKS, VIEWS


class JobForm(BaseModel):
    """Metadata sent with an upload (multipart form fields)."""

    patient: str = Field(pattern=NAME_PATTERN, description="Patient pseudonym (never a name).")
    session: str = Field(pattern=NAME_PATTERN, description="Session label, e.g. day1.")
    phase: Literal["pre", "post"]
    task: str = "walk_forward"
    view: Optional[View] = Field(
        None, description="The camera view the filmer states; absent = detected.")

    @field_validator("view", mode="before")
    @classmethod
    def _empty_is_detected(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("task")
    @classmethod
    def _known_task(cls, value: str) -> str:
        if value not in TASKS:
            raise ValueError(f"unknown task; choose one of {', '.join(TASKS)}")
        return value


class JobAccepted(BaseModel):
    """Answer to an accepted upload."""

    job_id: str
    status: str
    status_url: str
    result_url: str


class JobStatus(BaseModel):
    """State of a job; ``progress`` runs from 0 to 1."""

    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    stage: str
    progress: float
    attempts: int
    patient: str
    session: str
    phase: str
    task: str
    view: Optional[str] = Field(description="The view the filmer stated; null = detected.")
    error: Optional[str]
    created_at: datetime
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    result_url: str


def job_status(job: Job) -> JobStatus:
    """Public view of a job row."""
    return JobStatus(
        job_id=job.id,
        status=job.status,  # type: ignore[arg-type]
        stage=job.stage,
        progress=job.progress,
        attempts=job.attempts,
        patient=job.patient,
        session=job.session,
        phase=job.phase,
        task=job.task,
        view=job.view,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result_url=f"/v1/jobs/{job.id}/result",
    )


def _form_error(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["video", "patient", "session", "phase"],
                    "properties": {
                        "video": {"type": "string", "format": "binary"},
                        "patient": {"type": "string", "pattern": NAME_PATTERN},
                        "session": {"type": "string", "pattern": NAME_PATTERN},
                        "phase": {"type": "string", "enum": ["pre", "post"]},
                        "task": {"type": "string", "default": "walk_forward"},
                        "view": {"type": "string", "enum": list(VIEWS)},
                    },
                }
            }
        },
    }
}


@v1.post(
    "/jobs",
    status_code=202,
    response_model=JobAccepted,
    openapi_extra=UPLOAD_SCHEMA,
    dependencies=[needs("submit")],
)
async def submit_job(request: Request, response: Response, key: Key) -> JobAccepted:
    """Upload a video with its metadata; it is probed and scored by a worker (poll the job)."""
    settings: ApiSettings = request.app.state.settings
    fields, upload_name = await receive_upload(request, settings)
    try:
        meta = JobForm.model_validate(fields)
    except ValidationError as exc:
        (settings.uploads / upload_name).unlink()
        raise HTTPException(422, _form_error(exc)) from None
    job_id = request.state.audit_resource = new_id()
    with request.app.state.sessionmaker() as db:
        await run_in_threadpool(
            enqueue,
            db,
            job_id=job_id,
            tenant=key.tenant,
            upload_name=upload_name,
            **meta.model_dump(),
        )
    response.headers["Location"] = f"/v1/jobs/{job_id}"
    return JobAccepted(
        job_id=job_id,
        status="queued",
        status_url=f"/v1/jobs/{job_id}",
        result_url=f"/v1/jobs/{job_id}/result",
    )


@v1.get("/jobs/{job_id}", response_model=JobStatus, dependencies=[needs("read")])
def read_job(job_id: str, db: DB, key: Key) -> JobStatus:
    """Status and progress of a job."""
    return job_status(tenant_job(db, key.tenant, job_id))


@v1.get("/jobs/{job_id}/result", response_model=contract.Score,
            response_model_exclude_unset=True, dependencies=[needs("read")])
def read_result(job_id: str, db: DB, key: Key) -> dict[str, Any]:
    """Return the score (:class:`posescore.contract.Score`); 409 while pending, 422 if failed.

    410 for a score stored under an older schema (submit the video again).
    """
    job = tenant_job(db, key.tenant, job_id)
    if job.status == "failed":
        raise HTTPException(422, f"scoring failed: {job.error}")
    if job.status != "done" or job.result is None:
        raise HTTPException(409, f"job is {job.status}; poll /v1/jobs/{job_id}")
    if job.result.get("schema_version") != SCHEMA_VERSION:
        raise HTTPException(410, f"this score follows schema {job.result.get('schema_version')}"
                            f", not {SCHEMA_VERSION}; submit the video again")
    return job.result


@v1.get("/jobs/{job_id}/overlay", response_class=FileResponse, dependencies=[needs("read")],
        responses={200: {"content": {"video/webm": {}}}})
def read_overlay(job_id: str, request: Request, db: DB, key: Key) -> FileResponse:
    """The job's overlay video (VP8 WebM: skeleton, flags, every face found blurred).

    404 while the job is not done, or when it has none (``POSESCORE_OVERLAYS`` off).
    """
    job = tenant_job(db, key.tenant, job_id)
    path = overlay_path(request.app.state.settings, job.id)
    if job.status != "done" or not path.exists():
        raise HTTPException(404, "this job has no overlay video")
    return FileResponse(path, media_type="video/webm")


@v1.delete("/jobs/{job_id}", status_code=204, dependencies=[needs("admin")])
def delete_job(job_id: str, request: Request, db: DB, key: Key) -> Response:
    """Delete a job and everything derived from it: upload, score, comparisons using it."""
    erase_jobs(db, request.app.state.settings, [tenant_job(db, key.tenant, job_id)])
    return Response(status_code=204)
