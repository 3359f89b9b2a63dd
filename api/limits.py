"""Refuse before reading: the key, the content type and the body size of every ``/v1`` call.

``GuardMiddleware`` is pure ASGI and runs before any route reads a byte of the body: a call
without a valid key gets 401, a POST of the wrong content type 415, and a body above its cap
413 (the declared Content-Length at once, a chunked body as it streams). Uploads
(``POST /v1/jobs``) may be ``POSESCORE_MAX_UPLOAD_MB``; JSON bodies ``JSON_BODY_LIMIT``.
"""

from __future__ import annotations

from typing import Optional

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.keys import API_KEY_HEADER, Caller, authenticate

JSON_BODY_LIMIT = 64 * 1024
"""Largest JSON body, bytes."""
UPLOAD_PATH = "/v1/jobs"




def refusal(status: int, detail: str) -> JSONResponse:
    """A JSON error that closes the connection (the unread body is never read)."""
    return JSONResponse({"detail": detail}, status_code=status, headers={"connection": "close"})


class GuardMiddleware:
    """Check the key, content type and body size of ``/v1`` calls before their body is read.

    The authenticated caller is left in ``scope["state"]["caller"]`` for the routes.
    """

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    def _limit(self, scope: Scope) -> tuple[int, str]:
        """The body cap of a call, bytes, and its 413 message."""
        if scope["path"] == UPLOAD_PATH:
            mb = self.max_upload_bytes / 2**20
            message = f"upload too large: the limit is {mb:g} MB (POSESCORE_MAX_UPLOAD_MB)"
            return self.max_upload_bytes, message
        kib = JSON_BODY_LIMIT // 1024
        return JSON_BODY_LIMIT, f"request body too large: JSON bodies are limited to {kib} KiB"

    def _content_problem(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str]:
        """(status, message) of a refused POST body, or (0, "")."""
        upload = scope["path"] == UPLOAD_PATH
        limit, too_large = self._limit(scope)
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        wanted = b"multipart/form-data" if upload else b"application/json"
        if kind != wanted:
            return 415, f"Content-Type must be {wanted.decode()} for this call"
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return 413, too_large
        return 0, ""

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

        def check() -> tuple[Optional[Caller], str]:
            with sessionmaker() as db:
                return authenticate(db, key)

        caller, why = await run_in_threadpool(check)
        if caller is None:
            detail = (f"{why}: send a valid key in the {API_KEY_HEADER} header "
                      "(create one with `posescore keys create --name NAME`)")
            await refusal(401, detail)(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        status, detail = self._content_problem(scope, headers)
        if status:
            await refusal(status, detail)(scope, receive, send)
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
