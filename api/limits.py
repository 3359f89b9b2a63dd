"""Refuse before reading: the key, limits, content type and body size of every ``/v1`` call.

``GuardMiddleware`` is pure ASGI and runs before any route reads a byte of the body: a call
without a valid key gets 401, a tenant over its rate limit 429 (``api.quotas``), a POST of
the wrong content type 415, a body above its cap 413 (the declared Content-Length at once, a
chunked body as it streams), and an upload or comparison request while the tenant's queue is
full 429, while the whole queue is full 503 (both with ``Retry-After``). Uploads
(``POST /v1/jobs``) may be ``POSESCORE_MAX_UPLOAD_MB``; JSON bodies ``JSON_BODY_LIMIT``.
"""

from __future__ import annotations

import logging
import time
from typing import Optional

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.keys import API_KEY_HEADER, Caller, authenticate
from api.quotas import Refusal, count_call, queue_refusal
from api.settings import ApiSettings

logger = logging.getLogger(__name__)

JSON_BODY_LIMIT = 64 * 1024
"""Largest JSON body, bytes."""
UPLOAD_PATH = "/v1/jobs"
QUEUED_PATHS = (UPLOAD_PATH, "/v1/comparisons")
"""POSTs that add work to the queue, checked against the queue limits."""


def refusal(status: int, detail: str, retry_after_s: Optional[int] = None) -> JSONResponse:
    """A JSON error that closes the connection (the unread body is never read)."""
    headers = {"connection": "close"}
    if retry_after_s is not None:
        headers["retry-after"] = str(retry_after_s)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


class GuardMiddleware:
    """Check the key, content type and body size of ``/v1`` calls before their body is read.

    The authenticated caller is left in ``scope["state"]["caller"]`` for the routes.
    """

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings
        self.max_upload_bytes = settings.max_upload_bytes

    def _limit(self, scope: Scope) -> tuple[int, str]:
        """The body cap of a call, bytes, and its 413 message."""
        if scope["path"] == UPLOAD_PATH:
            mb = self.max_upload_bytes / 2**20
            message = f"upload too large: the limit is {mb:g} MB (POSESCORE_MAX_UPLOAD_MB)"
            return self.max_upload_bytes, message
        kib = JSON_BODY_LIMIT // 1024
        return JSON_BODY_LIMIT, f"request body too large: JSON bodies are limited to {kib} KiB"

    def _content_problem(self, scope: Scope, headers: dict[bytes, bytes]) -> Optional[Refusal]:
        """415 or 413 for a POST body of the wrong type or declared too large, else None."""
        upload = scope["path"] == UPLOAD_PATH
        limit, too_large = self._limit(scope)
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        wanted = b"multipart/form-data" if upload else b"application/json"
        if kind != wanted:
            return Refusal(415, f"Content-Type must be {wanted.decode()} for this call")
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return Refusal(413, too_large)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":  # CORS preflight: no key, no body
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        sessionmaker = scope["app"].state.sessionmaker
        key = headers.get(API_KEY_HEADER.lower().encode(), b"").decode("latin-1")
        has_body = scope["method"] in ("POST", "PUT", "PATCH")

        def check() -> Caller | Refusal:
            with sessionmaker() as db:
                caller, why = authenticate(db, key)
                if caller is None:
                    return Refusal(401, f"{why}: send a valid key in the {API_KEY_HEADER} header "
                                   "(create one with `posescore keys create --name NAME`)")
                refused = count_call(db, caller.tenant, self.settings, time.time())
                if refused is None and has_body:
                    refused = self._content_problem(scope, headers)
                if refused is None and has_body and scope["path"] in QUEUED_PATHS:
                    refused = queue_refusal(db, caller.tenant, self.settings)
            if refused is None:
                return caller
            if refused.retry_after_s is not None:
                logger.warning("%s %s refused %d by a limit (tenant %s)", scope["method"],
                               scope["path"], refused.status, caller.tenant)
            return refused

        checked = await run_in_threadpool(check)
        if isinstance(checked, Refusal):
            await refusal(checked.status, checked.detail, checked.retry_after_s)(
                scope, receive, send
            )
            return
        scope.setdefault("state", {})["caller"] = checked
        if not has_body:
            await self.app(scope, receive, send)
            return
        limit, too_large = self._limit(scope)
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, too_large)
            return message

        await self.app(scope, limited_receive, send)
