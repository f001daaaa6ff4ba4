"""Login (a bearer token) and who I am."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.entrypoints.deps import CurrentUser, LedgerDep, SettingsDep, issue_token
from task_ledger.entrypoints.problems import ApiError
from task_ledger.entrypoints.responses import LoginOut, UserOut
from task_ledger.entrypoints.schemas import LoginRequest
from task_ledger.service_layer import directory, queries

router = APIRouter(tags=["auth"])


@router.post("/auth/login", summary="登录，返回 Bearer 令牌")
async def login(ledger: LedgerDep, settings: SettingsDep, body: LoginRequest) -> LoginOut:
    found = await queries.credentials(ledger, body.username)
    hasher = directory.password_hasher(settings)
    if (
        found is None
        or not found[0].active
        or not directory.verify_password(hasher, found[1], body.password)
    ):
        raise ApiError(401, "用户名或密码错误")
    user = found[0]
    return LoginOut(
        access_token=issue_token(settings, user),
        expires_in=settings.token_lifetime_seconds,
        user=UserOut.of(user),
    )


@router.get("/me", summary="当前用户")
async def who_am_i(me: CurrentUser) -> UserOut:
    return UserOut.of(me)
