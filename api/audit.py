"""Audit trail in the database: every call that reads or writes a patient's data.

Each row holds the key id, its tenant, the action, the resource id (a random job or
comparison id, or an opaque patient reference), the time and the HTTP status. Never a name,
a path or a pseudonym. ``posescore audit --since ISO`` exports it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import AuditEntry
from api.keys import aware

logger = logging.getLogger(__name__)

ACTIONS = {
    "submit_job": "job.create",
    "read_job": "job.read",
    "read_result": "job.result",
    "submit_comparison": "comparison.create",
    "read_comparison": "comparison.read",
    "patient_sessions": "patient.read",
    "patient_visit": "visit.read",
    "patient_visits": "patient.visits",
    "patient_list": "patient.list",
    "visit_comparison": "visit.compare",
    "patient_course": "patient.course",
    "delete_job": "job.delete",
    "erase_patient": "patient.erase",
}
"""Audited routes (by endpoint name) and the action recorded for each."""
FIELDS = ("at", "key_id", "tenant", "action", "resource", "outcome")


def patient_ref(tenant: str, patient: str) -> str:
    """Opaque reference of a patient for the audit trail (never the pseudonym itself)."""
    return "patient:" + hashlib.sha256(f"{tenant}\0{patient}".encode()).hexdigest()[:24]


def _entry(scope: Scope, status: int) -> Optional[AuditEntry]:
    route = scope.get("route")
    if route is None and status == 401:  # refused by GuardMiddleware before routing
        return AuditEntry(action="auth.refused", outcome=status)
    action = ACTIONS.get(getattr(route, "name", ""))
    if action is None or scope["method"] not in route.methods:  # 405s are not calls
        return None
    state = scope.get("state", {})
    caller = state.get("caller")
    path_id = next(iter(scope.get("path_params", {}).values()), None)
    # a path id may hold a NUL (sent as %00), which PostgreSQL text cannot: written escaped
    resource = state.get("audit_resource") or path_id
    return AuditEntry(
        key_id=getattr(caller, "key_id", None),
        tenant=getattr(caller, "tenant", None),
        action=action,
        resource=None if resource is None else str(resource).replace("\x00", "\\x00")[:64],
        outcome=status,
    )


def _write(sm: sessionmaker, entry: AuditEntry) -> None:
    try:
        with sm.begin() as db:
            db.add(entry)
    except SQLAlchemyError:
        logger.exception("audit entry (%s) not written", entry.action)


class AuditMiddleware:
    """Record an audit row for every call of an audited route, whatever its outcome.

    The row is written before the answer starts, so a client that got one finds it logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorded = False

        async def record(status: int) -> None:
            nonlocal recorded
            entry = _entry(scope, status)
            recorded = True
            if entry is not None:
                await run_in_threadpool(_write, scope["app"].state.sessionmaker, entry)

        async def send_after_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                await record(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_after_recording)
        finally:
            if not recorded:  # crashed before answering
                await record(500)


def audit_rows(db: Session, since: datetime) -> Iterator[dict[str, Any]]:
    """Audit rows at or after ``since`` (UTC if it has no zone), oldest first, as values."""
    since = aware(since).astimezone(timezone.utc)
    query = select(AuditEntry).where(AuditEntry.at >= since).order_by(AuditEntry.at, AuditEntry.id)
    for row in db.scalars(query):
        values = {name: getattr(row, name) for name in FIELDS}
        values["at"] = aware(row.at).isoformat()
        yield values
