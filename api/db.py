"""Database: SQLAlchemy 2 tables of keys, jobs, comparisons, audit log, rate counters; Alembic.

Every key, job and comparison belongs to a tenant (a clinic or department); a patient is a
pseudonym within one tenant.

SQLite (one file, WAL mode) by default, PostgreSQL through ``POSESCORE_DATABASE_URL``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_TENANT = "default"
"""Tenant of keys and jobs made before tenants existed, and of keys made without one."""


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of the service tables."""


class ApiKey(Base):
    """An API key of one tenant; only its SHA-256 is stored; ``scopes`` is comma-separated."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    scopes: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)


class Job(Base):
    """One uploaded video to score; a server's worker claims it from the queue (``api.leases``).

    While it runs, ``lease_owner`` (the server), ``worker_pid`` and ``claim_token`` (this
    attempt) say who holds it, until ``lease_expires_at`` unless the server renews the lease.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_tenant_patient", "tenant", "patient"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    patient: Mapped[str] = mapped_column(String(64), index=True)
    session: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(8))
    task: Mapped[str] = mapped_column(String(32))
    view: Mapped[Optional[str]] = mapped_column(String(16), nullable=True)
    """The camera view the filmer stated (``posescore.constants.VIEWS``); None = detected."""
    upload_name: Mapped[str] = mapped_column(String(64))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[Optional[str]] = mapped_column(String(32), nullable=True)
    worker_pid: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    lease_owner: Mapped[Optional[str]] = mapped_column(String(32), nullable=True)
    lease_expires_at: Mapped[Optional[datetime]] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON, nullable=True)
    error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)


class Comparison(Base):
    """A pre/post pair of jobs of one patient; a worker computes it once both are done.

    ``status``: ``pending`` (waiting for its jobs or a worker), ``running`` (claimed at
    ``claimed_at`` with ``claim_token``), ``done`` (``result``) or ``failed`` (``error``).
    """

    __tablename__ = "comparisons"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    pre_job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    post_job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[Optional[str]] = mapped_column(String(32), nullable=True)
    claimed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON, nullable=True)
    error: Mapped[Optional[str]] = mapped_column(Text, nullable=True)


class AuditEntry(Base):
    """One read or write of a patient's data: who (key, tenant), what, on which id, outcome.

    Never a name, path or pseudonym: patients appear as opaque references.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    key_id: Mapped[Optional[int]] = mapped_column(Integer, nullable=True)
    tenant: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    resource: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)
    outcome: Mapped[int] = mapped_column(Integer)


class RateCounter(Base):
    """Calls of one tenant in one fixed rate window (``api.quotas``); old windows are deleted."""

    __tablename__ = "rate_counters"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """Start of the window, s since the Unix epoch."""
    calls: Mapped[int] = mapped_column(Integer)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # erased rows are overwritten, not left in free pages
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL mode and a busy timeout (worker processes)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Session factory that keeps loaded attributes after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to an Alembic ``revision`` (the newest by default)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, revision)
    logger.info("database schema up to date")


@contextmanager
def configured_session() -> Iterator[Session]:
    """A session on the database of the service's settings, migrated first; for the CLI.

    Files it creates (a new SQLite database) are its user's only, as the server's are.
    """
    from api.settings import get_settings

    os.umask(0o077)
    url = get_settings().url
    migrate(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            yield db
    finally:
        engine.dispose()
