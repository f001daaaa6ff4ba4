"""Users (administrators only): list and search, create, change, deactivate and reactivate,
reset a password, and bulk-load liaisons from a list (.xlsx / .csv)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from duban_contracts.vocabulary import Role
from task_ledger.domain.model import User
from task_ledger.entrypoints.api.admin_models import (
    CreatedAccount,
    LiaisonPreview,
    LiaisonRowOut,
    LiaisonsLoaded,
    PasswordReset,
    UnstaffedDepartments,
)
from task_ledger.entrypoints.deps import AdminUser, LedgerDep, SettingsDep
from task_ledger.entrypoints.quotas import limited
from task_ledger.entrypoints.responses import UserOut
from task_ledger.entrypoints.schemas import UserCreateBody, UserUpdateBody
from task_ledger.service_layer import directory, liaison_list, people, uploads

router = APIRouter(prefix="/users", tags=["directory"])


@router.get("", summary="用户列表与查找（管理员）")
async def users(
    ledger: LedgerDep,
    me: AdminUser,
    q: Annotated[str, Query(max_length=100, description="用户名、姓名或邮箱的一部分")] = "",
    role: Role | None = None,
    department_id: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None,
) -> list[UserOut]:
    query = people.UserQuery(q.strip(), role, department_id, active, limit=100_000)
    found, _ = await people.search_users(ledger, query)
    return [UserOut.of(u) for u in found]


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


@router.patch("/{user_id}", summary="修改用户（管理员）：单位、角色、督办方案范围等")
async def update_user(
    ledger: LedgerDep, me: AdminUser, user_id: str, body: UserUpdateBody
) -> UserOut:
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    return UserOut.of(await directory.update_user(ledger, me, user_id, changes, body.password))


@router.post("/{user_id}/deactivate", summary="停用账号（其登录和令牌随即失效）")
async def deactivate(ledger: LedgerDep, me: AdminUser, user_id: str) -> UserOut:
    return UserOut.of(await people.set_active(ledger, me, user_id, False))


@router.post("/{user_id}/reactivate", summary="恢复停用的账号")
async def reactivate(ledger: LedgerDep, me: AdminUser, user_id: str) -> UserOut:
    return UserOut.of(await people.set_active(ledger, me, user_id, True))


@router.post("/{user_id}/password-reset", summary="重置密码：生成一次性初始密码")
async def reset_password(ledger: LedgerDep, me: AdminUser, user_id: str) -> PasswordReset:
    user, password = await people.reset_password(ledger, me, user_id)
    return PasswordReset(user=UserOut.of(user), initial_password=password)


async def _list_rows(settings: SettingsDep, file: UploadFile) -> list[liaison_list.LiaisonRow]:
    data = await uploads.read_plan_file(settings, file)
    return liaison_list.parse(liaison_list.read_table(data, file.filename or ""))


@router.post("/liaison-lists/preview", summary="联络员名单预览（逐行检查，不写入）")
async def preview_liaisons(
    ledger: LedgerDep,
    settings: SettingsDep,
    me: AdminUser,
    file: Annotated[
        UploadFile, File(description=".xlsx 或 .csv：单位、姓名、手机、邮箱、企业微信/钉钉 ID")
    ],
) -> LiaisonPreview:
    rows = await liaison_list.preview(ledger, await _list_rows(settings, file))
    return LiaisonPreview(
        rows=[LiaisonRowOut.of(r) for r in rows], error_rows=sum(bool(r.errors) for r in rows)
    )


@router.post(
    "/liaison-lists",
    status_code=201,
    summary="导入联络员名单（全部无误才写入，否则一个也不建）",
    dependencies=[limited("user_create")],
)
async def load_liaisons(
    ledger: LedgerDep,
    settings: SettingsDep,
    me: AdminUser,
    file: Annotated[UploadFile, File(description=".xlsx 或 .csv，与预览时相同")],
) -> LiaisonsLoaded:
    created = await liaison_list.confirm(ledger, me, await _list_rows(settings, file))
    unstaffed = await people.departments_without_liaison(ledger)
    return LiaisonsLoaded(
        created=[CreatedAccount.of(c) for c in created],
        unstaffed=UnstaffedDepartments.of(unstaffed),
    )
