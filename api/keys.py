"""API keys: create, list, revoke, rotate and check them; only their SHA-256 is stored.

Each key belongs to a tenant and carries scopes: ``submit`` (upload videos, ask for
comparisons), ``read`` (jobs, results, comparisons, patients, the model card) and ``admin``
(delete jobs, erase patients). A revoked or expired key is refused at once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import DEFAULT_TENANT, ApiKey, utcnow
from posescore.errors import ConfigError

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
KEY_PREFIX = "psk_"
SCOPES = ("submit", "read", "admin")
DEFAULT_SCOPES = ("submit", "read")
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
LAST_USED_PERIOD = timedelta(minutes=1)
"""A key's ``last_used_at`` is written at most this often."""


@dataclass(frozen=True)
class Caller:
    """The authenticated key of a request (detached from any database session)."""

    key_id: int
    tenant: str
    scopes: frozenset[str]


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key (keys are 256-bit random, so no salt is needed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def aware(moment: Optional[datetime]) -> Optional[datetime]:
    """``moment`` with UTC as its zone if it has none (SQLite returns naive datetimes)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def parse_scopes(text: str) -> tuple[str, ...]:
    """Scopes from a comma-separated list; ConfigError naming an unknown one."""
    scopes = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ConfigError(f"scopes: choose among {', '.join(SCOPES)} (got {text!r})")
    return scopes


def key_state(key: ApiKey, now: datetime) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if key.revoked_at is not None:
        return "revoked"
    expires = aware(key.expires_at)
    if expires is not None and expires <= now:
        return "expired"
    return "active"


def create_key(
    db: Session,
    name: str,
    tenant: str = DEFAULT_TENANT,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    expires_days: Optional[float] = 365,
) -> tuple[ApiKey, str]:
    """Store a new key; return its row and the key itself (shown once, never stored)."""
    if not TENANT_PATTERN.match(tenant):
        raise ConfigError("tenant: letters, digits, '.', '_', '-' (up to 64), e.g. clinic-a")
    scopes = parse_scopes(",".join(scopes))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        tenant=tenant,
        scopes=",".join(scopes),
        key_hash=hash_key(key),
        expires_at=None if expires_days is None else utcnow() + timedelta(days=expires_days),
    )
    db.add(row)
    db.commit()
    logger.info("API key %d created (tenant %s, scopes %s)", row.id, tenant, row.scopes)
    return row, key


def get_key(db: Session, key_id: int) -> ApiKey:
    """The key with id ``key_id``; ConfigError if there is none."""
    row = db.get(ApiKey, key_id)
    if row is None:
        raise ConfigError(f"no API key with id {key_id} (see `posescore keys list`)")
    return row


def revoke_key(db: Session, key_id: int) -> ApiKey:
    """Revoke a key at once (idempotent)."""
    row = get_key(db, key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.commit()
        logger.info("API key %d revoked", key_id)
    return row


def rotate_key(db: Session, key_id: int) -> tuple[ApiKey, str]:
    """Replace a key by a new one of the same name, tenant, scopes and lifetime; revoke it."""
    old = get_key(db, key_id)
    lifetime = None
    if old.expires_at is not None:
        lifetime = (aware(old.expires_at) - aware(old.created_at)) / timedelta(days=1)
    row, key = create_key(db, old.name, old.tenant, old.scopes.split(","), lifetime)
    revoke_key(db, key_id)
    return row, key


def authenticate(db: Session, key: Optional[str]) -> tuple[Optional[Caller], str]:
    """Check a presented key; return the caller (or None) and, if refused, why.

    A valid key's ``last_used_at`` is updated (at most once per ``LAST_USED_PERIOD``).
    """
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None, "missing or invalid API key"
    row = db.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    now = utcnow()
    if row is None:
        return None, "missing or invalid API key"
    state = key_state(row, now)
    if state != "active":
        return None, f"API key {state}"
    last_used = aware(row.last_used_at)
    if last_used is None or now - last_used > LAST_USED_PERIOD:
        row.last_used_at = now
        db.commit()
    return Caller(row.id, row.tenant, frozenset(row.scopes.split(","))), ""


def key_table(db: Session) -> list[dict[str, str]]:
    """Rows of ``posescore keys list``, oldest key first: never the key or its hash."""
    now = utcnow()

    def when(moment: Optional[datetime]) -> str:
        return "-" if moment is None else aware(moment).isoformat(timespec="seconds")

    return [
        {
            "id": str(k.id),
            "name": k.name,
            "tenant": k.tenant,
            "scopes": k.scopes,
            "state": key_state(k, now),
            "created": when(k.created_at),
            "expires": when(k.expires_at),
            "last_used": when(k.last_used_at),
        }
        for k in db.scalars(select(ApiKey).order_by(ApiKey.id))
    ]
