"""Users (administrators only)."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import AdminUser, LedgerDep
from task_ledger.entrypoints.quotas import limited
from task_ledger.entrypoints.responses import UserOut
from task_ledger.entrypoints.schemas import UserCreateBody, UserUpdateBody
from task_ledger.service_layer import directory, queries

router = APIRouter(prefix="/users", tags=["directory"])


@router.get("", summary="用户列表（管理员）")
async def users(ledger: LedgerDep, me: AdminUser) -> list[UserOut]:
    return [UserOut.of(u) for u in await queries.users(ledger)]


@router.post(
    "", status_code=201, summary="新增用户（管理员）", dependencies=[limited("user_create")]
)
async def create_user(ledger: LedgerDep, me: AdminUser, body: UserCreateBody) -> UserOut:
    user = User(
        directory.user_id(body.username),
        body.username,
        body.display_name,
        body.role,
        body.department_id,
        body.email,
        plan_ids=tuple(dict.fromkeys(body.plan_ids)),
    )
    await directory.create_user(ledger, me, user, body.password)
    return UserOut.of(user)


@router.patch("/{user_id}", summary="修改用户（管理员）")
async def update_user(
    ledger: LedgerDep, me: AdminUser, user_id: str, body: UserUpdateBody
) -> UserOut:
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    return UserOut.of(await directory.update_user(ledger, me, user_id, changes, body.password))
