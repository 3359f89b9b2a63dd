"""FastAPI app: the /v1 REST API, health and readiness, and the upload page at ``/``.

Run with ``posescore serve``; ``create_app`` is a uvicorn factory, so nothing is built at
import time. Scoring runs in the worker processes of ``api.jobs.WorkerPool``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.audit import AuditMiddleware, patient_ref
from api.compare import compare_scores
from api.db import Comparison, Job, make_engine, make_sessionmaker, migrate, utcnow
from api.headers import SecurityHeadersMiddleware, page_policy
from api.jobs import WorkerPool, enqueue, new_id, service_score_settings
from api.keys import API_KEY_HEADER, Caller
from api.limits import GuardMiddleware
from api.retention import erase_jobs, expire
from api.settings import ApiSettings, get_settings
from api.tenancy import patient_jobs, tenant_comparison, tenant_job
from api.uploads import make_private, receive_upload, sweep_orphans
from posescore import __version__, contract
from posescore.config import Settings
from posescore.constants import SCHEMA_VERSION, TASKS
from posescore.errors import PosescoreError, VideoError
from posescore.model import load_model
from posescore.video import probe_video

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""Patient pseudonyms and session labels: letters, digits, '.', '_', '-'; up to 64."""
RETENTION_CHECK_PERIOD_S = 3600.0
"""How often jobs past the retention period are looked for (and once at start)."""


# ----------------------------------------------------------------------------- models


class JobForm(BaseModel):
    """Metadata sent with an upload (multipart form fields)."""

    patient: str = Field(pattern=NAME_PATTERN, description="Patient pseudonym (never a name).")
    session: str = Field(pattern=NAME_PATTERN, description="Session label, e.g. day1.")
    phase: Literal["pre", "post"]
    task: str = "walk_forward"

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
    error: Optional[str]
    created_at: datetime
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    result_url: str


class PatientRequest(BaseModel):
    """A patient, named in the body so pseudonyms never appear in URLs or access logs."""

    patient: str = Field(pattern=NAME_PATTERN, description="Patient pseudonym (never a name).")


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
    """A comparison; ``comparison`` is set once both jobs are done, ``error`` if it failed."""

    comparison_id: str
    status: Literal["pending", "done", "failed"]
    pre: JobStatus
    post: JobStatus
    comparison: Optional[contract.Comparison]
    error: Optional[str] = Field(
        None, description="Why there is no comparison: a job failed, or the scores lack "
        "per-stride values."
    )


# ----------------------------------------------------------------------------- helpers


def get_db(request: Request) -> Iterator[Session]:
    """Yield a database session for one request."""
    with request.app.state.sessionmaker() as db:
        yield db


DB = Annotated[Session, Depends(get_db)]


def require_key(request: Request) -> Caller:
    """Return the caller's key, checked by ``GuardMiddleware`` before the body was read."""
    return request.state.caller


Key = Annotated[Caller, Depends(require_key)]
"""The caller's key (its tenant scopes every lookup); resolved once per request."""


def needs(scope: str) -> Any:
    """Dependency refusing (403) a key without ``scope``."""

    def check(key: Key) -> None:
        if scope not in key.scopes:
            raise HTTPException(403, f"this API key lacks the '{scope}' scope")

    return Depends(check)


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
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result_url=f"/v1/jobs/{job.id}/result",
    )


def _form_error(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def unicode_text(value: str) -> str:
    r"""``value`` if it encodes as UTF-8, else with each lone surrogate written as its escape.

    A JSON body may carry a lone surrogate (the escape ``\ud800``); UTF-8 cannot.
    """
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


JSON_SAFE = {
    float: lambda value: value if math.isfinite(value) else str(value),
    str: unicode_text,
}
"""Encoders of client input echoed in a 422: NaN and Infinity (Python's JSON parser accepts
them) and lone surrogates cannot be rendered as JSON; each made the answer a 500."""


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with the validation errors and their inputs, as FastAPI answers (``JSON_SAFE``)."""
    detail = jsonable_encoder(exc.errors(), custom_encoder=JSON_SAFE)
    return JSONResponse({"detail": detail}, status_code=422)


def probe_upload(settings: ApiSettings, score_settings: Settings, name: str) -> None:
    """422 (and the file deleted) unless the stored upload ``name`` reads as a video."""
    path = settings.uploads / name
    video_cfg = score_settings.video.model_copy(update={"verify_frame_count": False})
    try:
        probe_video(path, video_cfg)
    except VideoError as exc:
        path.unlink(missing_ok=True)
        raise HTTPException(422, str(exc).replace(name, "the upload")) from None


# ----------------------------------------------------------------------------- routes

v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

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
    """Upload a video with its metadata; scoring runs in the background (poll the job)."""
    settings: ApiSettings = request.app.state.settings
    fields, upload_name = await receive_upload(request, settings)
    try:
        meta = JobForm.model_validate(fields)
    except ValidationError as exc:
        (settings.uploads / upload_name).unlink()
        raise HTTPException(422, _form_error(exc)) from None
    await run_in_threadpool(
        probe_upload, settings, request.app.state.score_settings, upload_name
    )
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


@v1.post(
    "/comparisons",
    status_code=201,
    response_model=ComparisonStatus,
    response_model_exclude_unset=True,
    dependencies=[needs("submit")],
)
def submit_comparison(
    body: ComparisonRequest, request: Request, response: Response, db: DB, key: Key
) -> ComparisonStatus:
    """Compare a pre and a post job of one patient (computed once both are scored)."""
    pre = tenant_job(db, key.tenant, body.pre_job_id)
    post = tenant_job(db, key.tenant, body.post_job_id)
    if pre.patient != post.patient:
        raise HTTPException(422, "the two jobs belong to different patients")
    if (pre.phase, post.phase) != ("pre", "post"):
        raise HTTPException(422, "pre_job_id must be a 'pre' job and post_job_id a 'post' job")
    comparison = Comparison(
        id=new_id(), tenant=key.tenant, pre_job_id=pre.id, post_job_id=post.id
    )
    db.add(comparison)
    db.commit()
    request.state.audit_resource = comparison.id
    response.headers["Location"] = f"/v1/comparisons/{comparison.id}"
    return comparison_status(request, db, comparison, pre, post)


def comparison_status(
    request: Request, db: Session, comparison: Comparison, pre: Job, post: Job
) -> ComparisonStatus:
    """Public view of a comparison; computes and stores it the first time both scores exist.

    The comparison (``api.compare.compare_scores``, bootstrap with a fixed seed) is computed
    once with the service's model; later reads return the stored result (computed again
    when it was stored under an older schema).
    """
    if comparison.result is not None and comparison.result.get("schema") != contract.COMPARE_SCHEMA:
        comparison.result = None
    failed = [job.phase for job in (pre, post) if job.status == "failed"]
    ready = pre.result is not None and post.result is not None
    if comparison.result is None and comparison.error is None and not failed and ready:
        try:
            comparison.result = compare_scores(
                pre.result, post.result, request.app.state.model, request.app.state.min_strides
            )
        except PosescoreError as exc:
            comparison.error = str(exc)
            logger.info("comparison %s not computed: %s", comparison.id, type(exc).__name__)
        except Exception:  # stored as a failure, not a 500 on every later read
            comparison.error = "the comparison could not be computed (internal error, logged)"
            logger.exception("comparison %s crashed", comparison.id)
        db.commit()
    if failed:
        status, error = "failed", f"the {' and '.join(failed)} video could not be scored"
    elif comparison.error is not None:
        status, error = "failed", comparison.error
    else:
        status, error = ("done" if comparison.result is not None else "pending"), None
    return ComparisonStatus(
        comparison_id=comparison.id,
        status=status,  # type: ignore[arg-type]
        pre=job_status(pre),
        post=job_status(post),
        comparison=None if comparison.result is None else contract.Comparison.model_validate(
            comparison.result
        ),
        error=error,
    )


@v1.get(
    "/comparisons/{comparison_id}", response_model=ComparisonStatus,
    response_model_exclude_unset=True, dependencies=[needs("read")],
)
def read_comparison(
    comparison_id: str, request: Request, db: DB, key: Key
) -> ComparisonStatus:
    """Return a comparison and, once both jobs are done, its result (computed once)."""
    comparison = tenant_comparison(db, key.tenant, comparison_id)
    return comparison_status(
        request,
        db,
        comparison,
        tenant_job(db, key.tenant, comparison.pre_job_id),
        tenant_job(db, key.tenant, comparison.post_job_id),
    )


@v1.post("/patients/sessions", dependencies=[needs("read")])
def patient_sessions(
    body: PatientRequest, request: Request, db: DB, key: Key
) -> dict[str, Any]:
    """List a patient's sessions (jobs by session, oldest first) and the severity trend.

    The pseudonym is sent in the body, never in the URL. ``trend`` lists every scored video
    in time order with both legs' severity.
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


@v1.delete("/jobs/{job_id}", status_code=204, dependencies=[needs("admin")])
def delete_job(job_id: str, request: Request, db: DB, key: Key) -> Response:
    """Delete a job and everything derived from it: upload, score, comparisons using it."""
    erase_jobs(db, request.app.state.settings, [tenant_job(db, key.tenant, job_id)])
    return Response(status_code=204)


@v1.post("/patients/erase", dependencies=[needs("admin")])
def erase_patient(
    body: PatientRequest, request: Request, db: DB, key: Key
) -> dict[str, int]:
    """Erase a patient: every job of the pseudonym with its upload, score and comparisons."""
    request.state.audit_resource = patient_ref(key.tenant, body.patient)
    jobs = patient_jobs(db, key.tenant, body.patient)
    return {"erased_jobs": erase_jobs(db, request.app.state.settings, jobs)}


@v1.get("/model", dependencies=[needs("read")])
def model_info(request: Request) -> dict[str, Any]:
    """Return the model card of the severity model the workers use."""
    return request.app.state.model.card


# ----------------------------------------------------------------------------- app


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Migrate the database, load the model, start (and supervise) the worker pool."""
    settings: ApiSettings = app.state.settings
    await run_in_threadpool(migrate, settings.url)
    engine = make_engine(settings.url)
    app.state.sessionmaker = make_sessionmaker(engine)
    await run_in_threadpool(make_private, settings)
    await run_in_threadpool(sweep_orphans, settings, app.state.sessionmaker)
    app.state.model = await run_in_threadpool(load_model, settings.model)
    # read once, here: the workers score with these, whatever happens to the file later
    score_settings = await run_in_threadpool(service_score_settings, settings)
    app.state.score_settings = score_settings
    app.state.min_strides = score_settings.quality.min_strides_per_measure
    pool = WorkerPool(settings, score_settings, app.state.sessionmaker)
    await run_in_threadpool(pool.start)
    app.state.pool = pool

    async def supervise() -> None:
        expired_at = -RETENTION_CHECK_PERIOD_S
        while True:
            if time.monotonic() - expired_at >= RETENTION_CHECK_PERIOD_S:
                expired_at = time.monotonic()
                await run_in_threadpool(expire, app.state.sessionmaker, settings, utcnow())
            await asyncio.sleep(1.0)
            await run_in_threadpool(pool.check)

    supervisor = asyncio.create_task(supervise())
    logger.info("posescore service ready (%d workers)", settings.workers)
    try:
        yield
    finally:
        supervisor.cancel()
        await run_in_threadpool(pool.stop)
        engine.dispose()


def create_app(settings: Optional[ApiSettings] = None) -> FastAPI:
    """Build the app (a uvicorn factory: ``uvicorn --factory api.app:create_app``)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="posescore",
        version=__version__,
        description="Scores focal leg dystonia from walking videos. Not clinically validated.",
        lifespan=lifespan,
        docs_url="/docs" if settings.docs else None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.include_router(v1)
    app.add_exception_handler(RequestValidationError, invalid_request)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready")
    def ready(db: DB) -> JSONResponse:
        """Readiness: database reachable, model loaded, at least one worker alive."""
        try:
            db.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        workers = app.state.pool.alive
        body = {
            "status": "ready" if workers else "no workers",
            "workers": workers,
            "model": app.state.model.card.get("name"),
        }
        return JSONResponse(body, status_code=200 if workers else 503)

    # innermost, so the 413 raised while the form streams is rendered by FastAPI
    app.add_middleware(GuardMiddleware, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(AuditMiddleware)

    @app.middleware("http")
    async def access_log(request: Request, call_next: Any) -> Response:
        # logs the route template (never the patient in the path) and never the body
        start = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "?")
        logger.info(
            "%s %s %d %.0f ms",
            request.method,
            route,
            response.status_code,
            1000 * (time.perf_counter() - start),
        )
        return response

    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=[API_KEY_HEADER, "Content-Type"],
        )
    app.add_middleware(
        SecurityHeadersMiddleware,
        policy=page_policy(STATIC_DIR / "index.html"),
        docs=settings.docs,
    )
    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the service with uvicorn (one HTTP process; scoring in the worker pool)."""
    import uvicorn

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=settings.log_level,
        access_log=False,
    )
