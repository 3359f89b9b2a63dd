"""FastAPI app: the /v1 REST API (``api.routes``), health and readiness, the page at ``/``.

Run with ``posescore serve``; ``create_app`` is a uvicorn factory, so nothing is built at
import time. Probing, scoring and comparisons run in the worker processes of
``api.jobs.WorkerPool``, never in the HTTP process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Optional

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.audit import AuditMiddleware
from api.db import make_engine, make_sessionmaker, migrate, utcnow
from api.headers import PAGE_POLICY, SecurityHeadersMiddleware
from api.jobs import WorkerPool, service_score_settings
from api.keys import API_KEY_HEADER
from api.limits import GuardMiddleware
from api.retention import expire
from api.routes import v1
from api.routes.deps import DB
from api.settings import ApiSettings, get_settings
from api.uploads import make_private, sweep_orphans
from api.validation import invalid_request
from api.web import add_web
from posescore import __version__
from posescore.model import load_model

logger = logging.getLogger(__name__)

RETENTION_CHECK_PERIOD_S = 3600.0
"""How often jobs past the retention period are looked for (and once at start)."""


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

    add_web(app)

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
    app.add_middleware(GuardMiddleware, settings=settings)
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
        policy=PAGE_POLICY,
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
