"""Login (a bearer token), logout, the user's own password change, and who I am. Logins share
the pages' throttle (`service_layer.auth`)."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request

from duban_common.logging import get_logger
from task_ledger.entrypoints.deps import (
    AuthDep,
    CurrentUser,
    SettingsDep,
    client_address,
    issue_token,
    token_claims,
)
from task_ledger.entrypoints.problems import ApiError
from task_ledger.entrypoints.responses import LoginOut, LogoutOut, UserOut
from task_ledger.entrypoints.schemas import LoginRequest, PasswordChange
from task_ledger.service_layer.auth import LoginRefused, LoginSession
from task_ledger.service_layer.passwords import HashingBusy

router = APIRouter(tags=["auth"])
log = get_logger(__name__)
BUSY = ApiError(503, "登录请求过多，请稍后再试", {"Retry-After": "1"})


def _login_out(settings: SettingsDep, session: LoginSession) -> LoginOut:
    return LoginOut(
        access_token=issue_token(settings, session),
        expires_in=settings.token_lifetime_seconds,
        user=UserOut.of(session.user),
    )


@router.post("/auth/login", summary="登录，返回 Bearer 令牌")
async def login(
    request: Request, auth: AuthDep, settings: SettingsDep, body: LoginRequest
) -> LoginOut:
    address = client_address(request, settings)
    try:
        session = await auth.login(body.username, body.password, address, "api")
    except HashingBusy:
        raise BUSY from None
    except LoginRefused as refused:
        log.info("login_refused", username=body.username, address=address, api=True)
        if refused.retry_after > 0:
            raise _locked(refused) from None
        raise ApiError(401, refused.message) from None
    return _login_out(settings, session)


def _locked(refused: LoginRefused) -> ApiError:
    minutes = math.ceil(refused.retry_after / 60)
    return ApiError(
        429,
        f"登录失败次数过多，请 {minutes} 分钟后再试",
        {"Retry-After": str(math.ceil(refused.retry_after))},
    )


@router.post("/auth/logout", summary="退出登录，令牌随即失效（所有进程）")
async def logout(
    request: Request, auth: AuthDep, settings: SettingsDep, me: CurrentUser
) -> LogoutOut:
    token = request.headers["authorization"].partition(" ")[2]
    await auth.logout(str(token_claims(settings, token)["sid"]))
    log.info("logout", user_id=me.id, api=True)
    return LogoutOut()


@router.post(
    "/auth/password",
    summary="修改本人密码：此前的令牌和页面会话全部失效，返回新令牌",
)
async def change_password(
    request: Request, auth: AuthDep, settings: SettingsDep, me: CurrentUser, body: PasswordChange
) -> LoginOut:
    address = client_address(request, settings)
    try:
        session = await auth.change_password(
            me, body.current_password, body.new_password, "api", address
        )
    except HashingBusy:
        raise BUSY from None
    except LoginRefused as refused:
        raise _locked(refused) from None
    return _login_out(settings, session)


@router.get("/me", summary="当前用户")
async def who_am_i(me: CurrentUser) -> UserOut:
    return UserOut.of(me)
