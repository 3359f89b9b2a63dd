"""Schemathesis fuzzes every operation of the service's OpenAPI schema in-process (ASGI).

The schema comes from the app object, so the fuzz also runs when ``/docs`` is off. Each
example is sent with a key holding every scope, then again without a key: no answer may be
a 5xx, and the keyed answers must match their documented response schemas. Inputs that
schemathesis does not generate and that made a 500 (found by hand) are tested below it.
"""

import asyncio
import time
from collections import Counter

import httpx
import pytest
import schemathesis
from anyio.from_thread import start_blocking_portal
from api_support import DATABASES, fresh_database
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlalchemy import func, select

from api.app import create_app
from api.db import AuditEntry, make_engine, make_sessionmaker, migrate
from api.keys import API_KEY_HEADER, SCOPES, create_key
from api.settings import ApiSettings

EXAMPLES_PER_OPERATION = 40
"""Hypothesis examples per operation; schemathesis adds its explicit and coverage cases."""
RATE_LIMIT_OFF = 1_000_000
"""Calls per rate window: above the fuzz's (the tests after it expect answers, not 429s)."""
EXAMPLES: Counter = Counter()
"""Examples run per operation, for the figures printed at the end (and docs/service.md)."""

# The schema does not depend on the settings: it comes from an app that is never started.
# (A lazy schema, schemathesis.pytest.from_fixture, fails on pytest 9: no Function._nodeid.)
schema = schemathesis.openapi.from_dict(create_app(ApiSettings(data_dir="unused")).openapi())


def without_lifespan(app):
    """``app`` for schemathesis, whose client would start and stop its lifespan per operation.

    An ASGI app that raises on the lifespan scope has no lifespan for the server (ASGI spec);
    the ``service`` fixture runs the real one once for the module.
    """

    async def serve(scope, receive, send):
        if scope["type"] == "lifespan":
            raise RuntimeError("the lifespan is run by the test fixture")
        await app(scope, receive, send)

    return serve


@pytest.fixture(scope="module", params=DATABASES)
def service(request, tmp_path_factory, small_model_path):
    """The started app on a fresh database and data dir, and a key with every scope."""
    tmp = tmp_path_factory.mktemp(f"fuzz_{request.param}")
    with fresh_database(request.param, tmp) as url:
        # no rate limit: the examples of every operation would pass it in one window
        api_settings = ApiSettings(data_dir=tmp / "data", database_url=url,
                                   model=small_model_path, workers=1,
                                   rate_limit=RATE_LIMIT_OFF)
        migrate(api_settings.url)
        engine = make_engine(api_settings.url)
        with make_sessionmaker(engine)() as db:
            _, key = create_key(db, "fuzz", "clinic-fuzz", SCOPES)
        app = create_app(api_settings)
        EXAMPLES.clear()
        start = time.perf_counter()
        with start_blocking_portal() as portal, portal.wrap_async_context_manager(
            app.router.lifespan_context(app)  # database, model, worker pool
        ):
            yield without_lifespan(app), key, make_sessionmaker(engine)
        if EXAMPLES:
            print(f"\nfuzz on {request.param}: {len(EXAMPLES)} operations, "
                  f"{sum(EXAMPLES.values())} examples, {2 * sum(EXAMPLES.values())} requests, "
                  f"{time.perf_counter() - start:.1f} s; examples per operation: "
                  f"{dict(EXAMPLES)}")
        engine.dispose()


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,  # writes nothing into the repository
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error(case, service):
    app, key, _ = service
    case.call_and_validate(
        app=app,
        headers={API_KEY_HEADER: key},
        checks=[not_a_server_error, response_schema_conformance],
    )
    keyless = case.call(app=app)
    case.validate_response(keyless, checks=[not_a_server_error])
    if case.path.startswith("/v1/") and case.method != "OPTIONS":  # OPTIONS: CORS preflight
        assert keyless.status_code == 401, case.method
    EXAMPLES[case.operation.label] += 1


def call(service, method, path, body=None):
    app, key, _ = service

    async def send():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            return await client.request(method, path, content=body, headers={
                API_KEY_HEADER: key, "Content-Type": "application/json"})

    return asyncio.run(send())


@pytest.mark.parametrize(
    "path,body,field",
    [
        # NaN and Infinity (Python's JSON parser takes them) echoed in the 422: was a 500
        ("/v1/comparisons", b'{"pre_job_id": NaN, "post_job_id": -Infinity}', "pre_job_id"),
        # lone surrogates: echoed in the 422 or sent to the database: each was a 500
        ("/v1/comparisons", b'{"pre_job_id": "\\ud800", "post_job_id": "a"}', "pre_job_id"),
        ("/v1/patients/sessions", b'{"patient": "P\\udfff"}', "patient"),
        ("/v1/patients/erase", b'{"\\ud800": 1}', "patient"),
        ("/v1/patients/visit-comparison", b'{"patient": "P1", "pre": {"session": "\\ud800", '
         b'"phase": "pre"}, "post": {"session": "s1", "phase": NaN}}', "session"),
    ],
)
def test_json_a_parser_takes_but_utf8_cannot_carry_is_a_422(service, path, body, field):
    r = call(service, "POST", path, body)
    assert r.status_code == 422
    assert field in {error["loc"][-1] for error in r.json()["detail"]}


def test_ids_with_a_nul_are_unknown_and_audited(service):
    # PostgreSQL text cannot hold a NUL: the lookup was a 500 and the audit entry was lost
    calls = [("GET", "/v1/jobs/a%00b", None), ("GET", "/v1/jobs/a%00b/result", None),
             ("DELETE", "/v1/jobs/a%00b", None), ("GET", "/v1/comparisons/a%00b", None),
             ("POST", "/v1/comparisons", b'{"pre_job_id": "a\\u0000", "post_job_id": "b"}')]
    logged = select(func.count()).where(AuditEntry.resource == "a\\x00b")
    with service[2]() as db:
        before = db.scalar(logged)
    for method, path, body in calls:
        assert call(service, method, path, body).status_code == 404, path
    with service[2]() as db:
        assert db.scalar(logged) == before + 4  # the four ids in a path
