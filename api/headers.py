"""Security headers on every response, and the page's Content-Security-Policy.

The page loads its script and style as files from its own origin (``api.web``), so the policy
needs no ``'unsafe-inline'``. ``/docs`` (only with ``POSESCORE_DOCS``) loads Swagger UI from
its CDN and gets a policy that allows it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' {DOCS_CDN}; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
"""The app's Content-Security-Policy: only its own files run, no inline script or style."""


class SecurityHeadersMiddleware:
    """Add CSP, ``nosniff``, ``no-referrer`` and no-framing headers to every response.

    API answers (``/v1``) also get ``Cache-Control: no-store``: patient data is never cached.
    """

    def __init__(self, app: ASGIApp, policy: str, docs: bool) -> None:
        self.app = app
        self.policy = policy
        self.docs = docs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                docs = self.docs and path.startswith("/docs")
                headers["Content-Security-Policy"] = DOCS_POLICY if docs else self.policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                if path.startswith("/v1/"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
