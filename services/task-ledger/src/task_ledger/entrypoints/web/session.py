"""Page sessions: a signed, HttpOnly, SameSite cookie with an idle and an absolute timeout,
a per-session CSRF token, and flash messages.

The cookie is signed with `settings.secret_key` (itsdangerous), so it cannot be forged; it holds
only ids, the user's credential version and timestamps. A signed-in session is also a row in the
database (`service_layer.auth`): logout revokes the row and a password change moves the
credential version on, so a copied cookie stops working in every process and after restarts.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "duban_session"
SALT = "task-ledger-web-session"
MAX_FLASHES = 4
MAX_FLASH_CHARS = 200
SCOPE_KEY = "duban.web.session"
# Paths without a page session: the API (bearer tokens), health, docs, static files.
SKIP_PREFIXES = ("/api/", "/health/", "/openapi.json", "/docs", "/redoc", "/static/")


@dataclass
class WebConfig:
    """Security knobs of the pages (tests shorten them on `app.state.web`)."""

    idle_timeout: float = 30 * 60
    absolute_timeout: float = 8 * 3600
    now: Callable[[], float] = time.time
    # Session ids ended by logout or timeout, with when; kept as long as a cookie could live.
    revoked: dict[str, float] = field(default_factory=dict)

    def revoke(self, sid: str) -> None:
        now = self.now()
        self.revoked[sid] = now
        if len(self.revoked) > 1000:
            horizon = now - self.absolute_timeout
            for old in [k for k, at in self.revoked.items() if at < horizon]:
                del self.revoked[old]


@dataclass
class Session:
    sid: str
    csrf: str
    created: float
    seen: float
    user_id: str | None = None
    flashes: list[tuple[str, str]] = field(default_factory=list)
    version: int = 0  # the user's credential version at login
    modified: bool = True
    cleared: bool = False

    def flash(self, text: str, level: str = "info") -> None:
        # The cookie must stay under the browsers' 4 KB: a few short messages at most.
        if len(self.flashes) < MAX_FLASHES:
            self.flashes.append((level, text[:MAX_FLASH_CHARS]))
        self.modified = True

    def pop_flashes(self) -> list[tuple[str, str]]:
        out, self.flashes = self.flashes, []
        if out:
            self.modified = True
        return out

    def login(self, user_id: str, sid: str, version: int, now: float) -> None:
        """The session row's id and a fresh CSRF token at login (no session fixation)."""
        self.sid, self.csrf = sid, secrets.token_urlsafe(24)
        self.user_id, self.version, self.created, self.seen = user_id, version, now, now
        self.modified = True

    def check_csrf(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf)

    def data(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "csrf": self.csrf,
            "created": self.created,
            "seen": self.seen,
            "uid": self.user_id,
            "cv": self.version,
            "flash": self.flashes,
        }


def new_session(now: float) -> Session:
    return Session(secrets.token_urlsafe(18), secrets.token_urlsafe(24), now, now)


def get_session(request: Request) -> Session:
    return request.scope[SCOPE_KEY]  # type: ignore[no-any-return]


def is_page_path(path: str) -> bool:
    return not path.startswith(SKIP_PREFIXES)


class SessionMiddleware:
    """Loads the page session into the scope and writes the cookie back on the response."""

    def __init__(self, app: ASGIApp, *, secret: str, config: WebConfig, secure: bool) -> None:
        self.app = app
        self.serializer = URLSafeSerializer(secret, salt=SALT)
        self.config = config
        self.secure = secure

    def load(self, scope: Scope) -> Session:
        cfg, now = self.config, self.config.now()
        raw = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:
                    continue
                if COOKIE in jar:
                    raw = jar[COOKIE].value
        if raw is None:
            return new_session(now)
        try:
            data = self.serializer.loads(raw)
            session = Session(
                str(data["sid"]),
                str(data["csrf"]),
                float(data["created"]),
                float(data["seen"]),
                data.get("uid"),
                [(str(a), str(b)) for a, b in data.get("flash", [])],
                int(data.get("cv", 0)),
                modified=False,
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            return new_session(now)
        if session.sid in cfg.revoked:
            return new_session(now)
        if session.user_id is not None and (
            now - session.seen > cfg.idle_timeout or now - session.created > cfg.absolute_timeout
        ):
            cfg.revoke(session.sid)
            fresh = new_session(now)
            fresh.flashes.append(("warning", "登录已超时，请重新登录。"))
            return fresh
        if session.user_id is not None:
            session.seen = now  # sliding idle timeout
            session.modified = True
        return session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        session = self.load(scope)
        scope[SCOPE_KEY] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if session.cleared:
                    self.config.revoke(session.sid)
                    headers.append("set-cookie", self.cookie("", max_age=0))
                elif session.modified:
                    headers.append("set-cookie", self.cookie(self.serializer.dumps(session.data())))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def cookie(self, value: str, max_age: int | None = None) -> str:
        # No Max-Age: a browser-session cookie; the server enforces both timeouts anyway.
        parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
