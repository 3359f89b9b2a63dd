"""Security headers on every response, and the page's Content-Security-Policy.

The page's one inline ``<script>`` and ``<style>`` are allowed by their SHA-256 (computed from
the served file at start), so the policy needs no ``'unsafe-inline'``. ``/docs`` (only with
``POSESCORE_DOCS``) loads Swagger UI from its CDN and gets a policy that allows it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_CDN}; "
    f"style-src 'self' {DOCS_CDN}; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def _hashes(html: str, tag: str) -> str:
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
    digests = (base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() for b in blocks)
    return " ".join(f"'sha256-{d}'" for d in digests)


def page_policy(page: Path) -> str:
    """The Content-Security-Policy of the app: only its own inline script and style run."""
    html = page.read_text(encoding="utf-8")
    return (
        f"default-src 'self'; script-src 'self' {_hashes(html, 'script')}; "
        f"style-src 'self' {_hashes(html, 'style')}; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    )


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
