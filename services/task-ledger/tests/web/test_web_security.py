"""The pages' security helpers without a browser: redirects and signed sessions (login
throttling: tests/test_ledger_auth.py)."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer

from task_ledger.entrypoints.web.common import safe_next
from task_ledger.entrypoints.web.session import COOKIE, SALT, SessionMiddleware, WebConfig

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", "evil", ""],
)
def test_next_never_leaves_the_site(target: str) -> None:
    assert safe_next(target, "/") == "/"


def test_next_keeps_local_paths() -> None:
    assert safe_next("/tasks/task-1?tab=reports", "/") == "/tasks/task-1?tab=reports"


def _scope(cookie: str | None) -> dict:
    headers = [(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie else []
    return {"type": "http", "path": "/", "headers": headers}


def _middleware(clock: Clock, secret: str = "s3cret") -> SessionMiddleware:
    cfg = WebConfig(now=clock, idle_timeout=60, absolute_timeout=3600)
    return SessionMiddleware(lambda *a: None, secret=secret, config=cfg, secure=False)  # type: ignore[arg-type]


def test_a_forged_or_foreign_cookie_gives_an_anonymous_session() -> None:
    clock = Clock()
    mw = _middleware(clock)
    signed = URLSafeSerializer("s3cret", salt=SALT).dumps(
        {"sid": "a", "csrf": "c", "created": clock.t, "seen": clock.t, "uid": "user-1"}
    )
    assert mw.load(_scope(signed)).user_id == "user-1"
    foreign = URLSafeSerializer("other-secret", salt=SALT).dumps(
        {"sid": "a", "csrf": "c", "created": clock.t, "seen": clock.t, "uid": "user-admin"}
    )
    assert mw.load(_scope(foreign)).user_id is None
    assert mw.load(_scope(signed[:-2] + "xx")).user_id is None


def test_sessions_expire_when_idle_too_long_or_too_old_and_when_revoked() -> None:
    clock = Clock()
    mw = _middleware(clock)
    serializer = URLSafeSerializer("s3cret", salt=SALT)

    def cookie(created: float, seen: float, sid: str = "a") -> str:
        return serializer.dumps(
            {"sid": sid, "csrf": "c", "created": created, "seen": seen, "uid": "user-1"}
        )

    idle = mw.load(_scope(cookie(clock.t - 100, clock.t - 61)))
    assert idle.user_id is None
    assert idle.flashes == [("warning", "登录已超时，请重新登录。")]
    assert mw.load(_scope(cookie(clock.t - 3601, clock.t - 1, sid="b"))).user_id is None
    mw.config.revoke("c-sid")
    assert mw.load(_scope(cookie(clock.t, clock.t, sid="c-sid"))).user_id is None
    assert mw.load(_scope(cookie(clock.t - 30, clock.t - 30, sid="d"))).user_id == "user-1"


def test_the_cookie_is_httponly_and_samesite() -> None:
    mw = _middleware(Clock())
    assert mw.cookie("v") == "duban_session=v; Path=/; HttpOnly; SameSite=Lax"
    secure = SessionMiddleware(lambda *a: None, secret="s", config=WebConfig(), secure=True)  # type: ignore[arg-type]
    assert secure.cookie("v").endswith("; Secure")


def test_csrf_tokens_are_compared_exactly() -> None:
    mw = _middleware(Clock())
    session = mw.load(_scope(None))
    assert session.check_csrf(session.csrf)
    assert not session.check_csrf(session.csrf + "x")
    assert not session.check_csrf("")
    assert not session.check_csrf(None)
