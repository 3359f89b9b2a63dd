"""Per-tenant rate and queue limits and the global queue cap, counted in the database.

**Rate.** Each tenant may make ``POSESCORE_RATE_LIMIT`` ``/v1`` calls per fixed window of
``POSESCORE_RATE_WINDOW_S`` seconds; further calls get 429 with ``Retry-After`` (the seconds
to the window's end). Every call is counted by one atomic upsert of its tenant's row in
``rate_counters`` (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on SQLite and
PostgreSQL), so all HTTP processes of a server and all servers on one database share one
count: a tenant gets at most the limit per window in total, whichever process answers.
``posescore serve`` runs one HTTP process, but nothing here relies on it. What is not
guaranteed: windows start at multiples of their length on each server's own clock (servers
must keep their clocks in sync, e.g. NTP), and a fixed window lets up to twice the limit
through in a burst straddling a window's end. Refused calls count too, so a client that
keeps calling stays refused until the window ends.

**Queue.** Before the body of an upload (``POST /v1/jobs``) or a comparison request
(``POST /v1/comparisons``) is read, the jobs and comparisons waiting or running are counted:
the tenant's (429 at ``POSESCORE_TENANT_QUEUE_LIMIT``), then every tenant's (503 at
``POSESCORE_QUEUE_LIMIT``). The count takes no lock: requests arriving together each see
the queue as it was, so it can exceed a cap by the submissions in flight at that moment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.db import Comparison, Job, RateCounter
from api.settings import ApiSettings

QUEUE_RETRY_AFTER_S = 30
"""``Retry-After`` of a full queue, s: a worker finishes a job or comparison in about that."""
WAITING_JOBS = ("queued", "running")
WAITING_COMPARISONS = ("pending", "running")
UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
"""Dialects with ``INSERT ... ON CONFLICT``: the databases the service runs on."""


@dataclass(frozen=True)
class Refusal:
    """A refused call: its HTTP status, message and (for a limit) ``Retry-After``, s."""

    status: int
    detail: str
    retry_after_s: Optional[int] = None


def count_call(db: Session, tenant: str, settings: ApiSettings, now_s: float) -> Optional[Refusal]:
    """Count one call of ``tenant`` at ``now_s`` (Unix time, s); a 429 over the rate limit.

    Commits. The first call of a window deletes the tenant's older windows.
    """
    window_s = settings.rate_window_s
    start = int(now_s // window_s) * window_s
    insert = UPSERTS[db.get_bind().dialect.name]
    calls = db.scalar(
        insert(RateCounter)
        .values(tenant=tenant, window_start=start, calls=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.tenant, RateCounter.window_start],
            set_={"calls": RateCounter.calls + 1},
        )
        .returning(RateCounter.calls)
    )
    if calls == 1:
        db.execute(
            delete(RateCounter).where(
                RateCounter.tenant == tenant, RateCounter.window_start < start
            )
        )
    db.commit()
    if calls <= settings.rate_limit:
        return None
    retry_s = max(1, math.ceil(start + window_s - now_s))
    return Refusal(
        429,
        f"rate limit: this tenant may make {settings.rate_limit} calls per {window_s} s "
        f"(POSESCORE_RATE_LIMIT); try again in {retry_s} s",
        retry_s,
    )


def waiting(db: Session, tenant: Optional[str] = None) -> int:
    """Jobs and comparisons waiting or running, of ``tenant`` or (None) of every tenant."""
    jobs = select(func.count()).select_from(Job).where(Job.status.in_(WAITING_JOBS))
    comparisons = select(func.count()).select_from(Comparison).where(
        Comparison.status.in_(WAITING_COMPARISONS)
    )
    if tenant is not None:
        jobs = jobs.where(Job.tenant == tenant)
        comparisons = comparisons.where(Comparison.tenant == tenant)
    return (db.scalar(jobs) or 0) + (db.scalar(comparisons) or 0)


def queue_refusal(db: Session, tenant: str, settings: ApiSettings) -> Optional[Refusal]:
    """429 if ``tenant``'s queue is full, 503 if every tenant's is; None if there is room."""
    if waiting(db, tenant) >= settings.tenant_queue_limit:
        return Refusal(
            429,
            f"this tenant has {settings.tenant_queue_limit} jobs and comparisons waiting "
            "(POSESCORE_TENANT_QUEUE_LIMIT); submit more once some are done",
            QUEUE_RETRY_AFTER_S,
        )
    if waiting(db) >= settings.queue_limit:
        return Refusal(
            503,
            "the service's queue is full (POSESCORE_QUEUE_LIMIT); try again later",
            QUEUE_RETRY_AFTER_S,
        )
    return None
