"""API keys (stored as SHA-256), the upload size cap and the upload content check."""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import DEFAULT_TENANT, ApiKey, make_engine, make_sessionmaker, migrate
from api.settings import get_settings

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
KEY_PREFIX = "psk_"

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_HEIF_BRANDS |= {b"avif", b"avis"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}
ACCEPTED_CONTAINERS = "MP4, MOV, AVI, MKV, WebM, MPEG or MPEG-TS/AVCHD (.mts)"
CONTAINER_HEAD_BYTES = 200
"""Bytes of an upload ``container_of`` needs: a transport stream shows its second packet."""


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key (keys are 256-bit random, so no salt is needed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(db: Session, name: str, tenant: str = DEFAULT_TENANT) -> str:
    """Store a new key of ``tenant`` and return the key itself (shown once, never stored)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    db.add(ApiKey(name=name, tenant=tenant, key_hash=hash_key(key)))
    db.commit()
    logger.info("API key created (name %s, tenant %s)", name, tenant)
    return key


def new_api_key(name: str, tenant: str = DEFAULT_TENANT) -> str:
    """Create a key in the configured database (migrating it first); for the CLI."""
    settings = get_settings()
    migrate(settings.url)
    engine = make_engine(settings.url)
    try:
        with make_sessionmaker(engine)() as db:
            return create_key(db, name, tenant)
    finally:
        engine.dispose()


def find_key(db: Session, key: Optional[str]) -> Optional[ApiKey]:
    """Return the stored key matching ``key``, or None."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    return db.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))


def container_of(head: bytes) -> Optional[str]:
    """File suffix of the video container ``head`` starts like, or None for anything else.

    Parameters
    ----------
    head : bytes
        The first bytes of the upload (``CONTAINER_HEAD_BYTES``; 12 suffice for all but the
        transport streams, whose 0x47 sync byte must repeat one packet later: 188 bytes, or
        192 in the M2TS files of AVCHD camcorders).

    """
    if head[4:8] == b"ftyp":
        return None if head[8:12] in _HEIF_BRANDS else "mp4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "mov"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "mkv"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "mpg"
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return "ts"
    if len(head) > 196 and head[4] == 0x47 and head[196] == 0x47:
        return "m2ts"
    return None


def too_large_message(max_bytes: int) -> str:
    """Return the 413 message for a cap of ``max_bytes``."""
    return f"upload too large: the limit is {max_bytes / 2**20:g} MB (POSESCORE_MAX_UPLOAD_MB)"


class UploadLimitMiddleware:
    """Refuse request bodies above ``max_bytes`` with 413 before they are stored.

    A declared Content-Length above the cap is refused at once; a body without one
    (chunked) is counted while it streams and cut off at the cap.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse(
                {"detail": too_large_message(self.max_bytes)},
                status_code=413,
                headers={"connection": "close"},
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, too_large_message(self.max_bytes))
            return message

        await self.app(scope, limited_receive, send)
