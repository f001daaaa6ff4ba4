"""Login, logout and the password change of the pages. Logins share the API's throttle and
lock-outs (`service_layer.auth`, kept in the database)."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from duban_common.logging import get_logger
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import client_address, get_ledger
from task_ledger.entrypoints.web.common import (
    PASSWORD_PAGE,
    PageRoute,
    checked_form,
    config_of,
    current_user,
    page_user,
    redirect,
    render,
    safe_next,
    text,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer.auth import Authenticator, LoginRefused
from task_ledger.service_layer.passwords import MAX_PASSWORD_CHARS, HashingBusy

log = get_logger(__name__)
router = APIRouter(route_class=PageRoute, include_in_schema=False)
BUSY = "登录请求过多，请稍后再试。"


def _auth(request: Request) -> Authenticator:
    return request.app.state.auth  # type: ignore[no-any-return]


def _password(form_value: object) -> str:
    # Same bounds as the API: never run argon2 over megabytes.
    ok = isinstance(form_value, str) and len(form_value) <= MAX_PASSWORD_CHARS
    return form_value if ok else ""  # type: ignore[return-value]


@router.get("/login")
async def login_form(request: Request) -> Response:
    if await current_user(request) is not None:
        return redirect("/")
    nxt = safe_next(request.query_params.get("next"), "/")
    return render(request, "login.html", next=nxt, username="")


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    username = text(form, "username", 100)
    password = _password(form.get("password"))
    nxt = safe_next(text(form, "next", 500) or None, "/")
    address = client_address(request, get_ledger(request).settings)
    try:
        session = await _auth(request).login(username, password, address, "page")
    except HashingBusy:
        response = render(request, "login.html", 503, next=nxt, username=username, error=BUSY)
        response.headers["Retry-After"] = "1"
        return response
    except LoginRefused as refused:
        log.info("login_refused", username=username, address=address)
        if refused.retry_after > 0:
            minutes = math.ceil(refused.retry_after / 60)
            response = render(
                request,
                "login.html",
                429,
                next=nxt,
                username=username,
                error=f"登录失败次数过多，请 {minutes} 分钟后再试。",
            )
            response.headers["Retry-After"] = str(math.ceil(refused.retry_after))
            return response
        return render(
            request, "login.html", 401, next=nxt, username=username, error="用户名或密码错误。"
        )
    user = session.user
    get_session(request).login(
        user.id, session.session_id, user.credential_version, config_of(request).now()
    )
    log.info("login", user_id=user.id)
    return redirect(PASSWORD_PAGE if user.must_change_password else nxt)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    session = get_session(request)
    if session.user_id is not None:
        await _auth(request).logout(session.sid)  # the row: every process, every restart
    session.cleared = True
    return redirect("/login")


@router.get(PASSWORD_PAGE)
async def password_form(request: Request, me: User = Depends(page_user)) -> Response:
    return render(request, "password.html", policy=_policy_lines(request))


@router.post(PASSWORD_PAGE)
async def change_password(request: Request, me: User = Depends(page_user)) -> Response:
    form = await checked_form(request)
    current = _password(form.get("current_password"))
    new = _password(form.get("new_password"))
    error = None
    if new != _password(form.get("confirm_password")):
        error = "两次输入的新密码不一致。"
    else:
        address = client_address(request, get_ledger(request).settings)
        try:
            session = await _auth(request).change_password(me, current, new, "page", address)
        except HashingBusy:
            error = BUSY
        except LoginRefused as refused:
            error = f"失败次数过多，请 {math.ceil(refused.retry_after / 60)} 分钟后再试。"
        except DomainError as exc:
            error = str(exc)
    if error is not None:
        return render(request, "password.html", 422, policy=_policy_lines(request), error=error)
    web = get_session(request)
    web.login(me.id, session.session_id, session.user.credential_version, config_of(request).now())
    web.flash("密码已修改，其他设备上的登录已全部退出。", "success")
    log.info("password_changed", user_id=me.id)
    return redirect("/")


def _policy_lines(request: Request) -> list[str]:
    s = get_ledger(request).settings
    if not s.password_policy:
        return []
    lines = [
        f"长度至少 {s.password_min_length} 位",
        f"包含大写字母、小写字母、数字、符号中的至少 {s.password_min_classes} 类",
        "不能包含用户名",
    ]
    if s.password_refuse_common:
        lines.append("不能是常见密码或容易猜到的组合")
    return lines
