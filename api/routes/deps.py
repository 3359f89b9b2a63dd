"""The ``/v1`` router and what its routes depend on: a database session, the key, its scopes.

Every resource module adds its routes to ``v1`` itself, so each route's path is the full
``/v1/...`` template (the access log and the audit name routes by it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy.orm import Session

from api.keys import Caller

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""Patient pseudonyms and session labels: letters, digits, '.', '_', '-'; up to 64."""


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


v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])
