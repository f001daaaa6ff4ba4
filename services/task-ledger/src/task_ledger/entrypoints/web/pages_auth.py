"""Login and logout of the pages, with throttling of repeated failures."""

from __future__ import annotations

import asyncio
import functools
import math

from fastapi import APIRouter, Request
from fastapi.responses import Response

from duban_common.logging import get_logger
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    PageRoute,
    checked_form,
    config_of,
    current_user,
    redirect,
    render,
    safe_next,
    text,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.entrypoints.web.throttle import LoginThrottle
from task_ledger.service_layer import directory, queries

log = get_logger(__name__)


@functools.cache
def _dummy_hash(time_cost: int | None, memory_cost: int | None) -> str:
    from argon2 import PasswordHasher

    defaults = PasswordHasher()
    return PasswordHasher(
        time_cost=time_cost or defaults.time_cost, memory_cost=memory_cost or defaults.memory_cost
    ).hash("not-a-password")


router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/login")
async def login_form(request: Request) -> Response:
    if await current_user(request) is not None:
        return redirect("/")
    nxt = safe_next(request.query_params.get("next"), "/")
    return render(request, "login.html", next=nxt, username="")


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    ledger = get_ledger(request)
    throttle: LoginThrottle = request.app.state.web_throttle
    username = text(form, "username", 100)
    password = form.get("password")
    # Same bounds as the API's login: never run argon2 over megabytes.
    password = password if isinstance(password, str) and len(password) <= 200 else ""
    nxt = safe_next(text(form, "next", 500) or None, "/")
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(username, address)
    if wait > 0:
        log.warning("login_throttled", username=username, address=address)
        return render(
            request,
            "login.html",
            429,
            next=nxt,
            username=username,
            error=f"登录失败次数过多，请 {math.ceil(wait / 60)} 分钟后再试。",
        )
    found = await queries.credentials(ledger, username) if username else None
    hasher = directory.password_hasher(ledger.settings)
    s = ledger.settings
    stored = found[1] if found else _dummy_hash(s.argon2_time_cost, s.argon2_memory_cost)
    # argon2 is slow on purpose: keep the event loop free while it runs. Unknown users
    # are checked against a dummy hash so the answer takes as long either way.
    ok = await asyncio.to_thread(directory.verify_password, hasher, stored, password)
    if not (found and ok and found[0].active):
        throttle.failed(username, address)
        log.info("login_failed", username=username, address=address)
        return render(
            request, "login.html", 401, next=nxt, username=username, error="用户名或密码错误。"
        )
    throttle.succeeded(username)
    get_session(request).login(found[0].id, config_of(request).now())
    log.info("login", user_id=found[0].id)
    return redirect(nxt)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    session = get_session(request)
    session.cleared = True
    return redirect("/login")
