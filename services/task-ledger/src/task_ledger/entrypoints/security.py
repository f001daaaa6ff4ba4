"""Security headers on every response of the ledger: API answers, pages, downloads, static
files and errors alike. Pages set their own CSP (`web.common.security_headers`); anything
else that is not HTML gets a CSP that allows nothing, and HTML without one (the API docs)
at least may not be framed. HSTS when the ledger is served over https."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOTHING = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
NO_FRAMING = "frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if "referrer-policy" not in headers:
                    headers["Referrer-Policy"] = "same-origin"
                if "x-frame-options" not in headers:
                    headers["X-Frame-Options"] = "DENY"
                if "content-security-policy" not in headers:
                    html = headers.get("content-type", "").startswith("text/html")
                    headers["Content-Security-Policy"] = NO_FRAMING if html else NOTHING
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
