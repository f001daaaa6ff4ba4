"""Login, my inbox, departments and users (admin), plan import (supervisors)."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile

from duban_contracts.vocabulary import Role
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.adapters.files import CHUNK
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotAllowed
from task_ledger.domain.model import Department, User
from task_ledger.entrypoints import views
from task_ledger.entrypoints.problems import ApiError
from task_ledger.entrypoints.schemas import (
    DepartmentBody,
    LoginRequest,
    UserCreateBody,
    UserUpdateBody,
)
from task_ledger.service_layer import directory, imports, inbound
from task_ledger.service_layer.uow import Ledger


def router(current_user: Callable[..., Any], serializer: Callable[..., Any]) -> APIRouter:
    api = APIRouter(prefix="/api")
    Me = Annotated[User, Depends(current_user)]

    def ledger_of(request: Request) -> Ledger:
        return request.app.state.ledger  # type: ignore[no-any-return]

    def admin_only(me: User) -> None:
        if me.role != Role.ADMIN or not me.active:
            raise NotAllowed("只有管理员可以管理单位和用户")

    @api.post("/auth/login", tags=["auth"], summary="登录，返回 Bearer 令牌")
    async def login(request: Request, body: LoginRequest) -> dict[str, Any]:
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            found = await repo.get_user_credentials(conn, body.username)
        hasher = directory.password_hasher(ledger.settings)
        if (
            found is None
            or not found[0].active
            or not directory.verify_password(hasher, found[1], body.password)
        ):
            raise ApiError(401, "用户名或密码错误")
        user = found[0]
        token = serializer(ledger.settings).dumps({"uid": user.id})
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": ledger.settings.token_lifetime_seconds,
            "user": views.user_view(user),
        }

    @api.get("/me", tags=["auth"], summary="当前用户")
    async def me_view(me: Me) -> dict[str, Any]:
        return views.user_view(me)

    @api.get("/me/inbox", tags=["inbox"], summary="站内信")
    async def my_inbox(request: Request, me: Me, unread: bool = False) -> list[dict[str, Any]]:
        async with ledger_of(request).reading() as conn:
            rows = await repo.list_inbox(conn, me.id, unread)
        return [
            {
                "id": r.id,
                "subject": r.subject,
                "body": r.body,
                "link": r.link,
                "task_ids": r.task_ids or [],
                "at": views.aware(r.at),
                "read": r.read_at is not None,
            }
            for r in rows
        ]

    @api.post("/me/inbox/{message_id}/read", tags=["inbox"], summary="标记已读")
    async def mark_read(request: Request, me: Me, message_id: str) -> dict[str, bool]:
        return {"changed": await inbound.mark_read(ledger_of(request), me.id, message_id)}

    # --- departments and users ---------------------------------------------------------------
    @api.get("/departments", tags=["directory"], summary="单位列表")
    async def departments(request: Request, me: Me) -> list[dict[str, Any]]:
        async with ledger_of(request).reading() as conn:
            return [views.department_view(d) for d in await repo.list_departments(conn)]

    @api.post("/departments", tags=["directory"], status_code=201, summary="新增单位（管理员）")
    async def create_department(request: Request, me: Me, body: DepartmentBody) -> dict:
        admin_only(me)
        dep = Department(
            directory.department_id(body.jurisdiction, body.name),
            body.name,
            body.jurisdiction,
            body.level,
            body.parent_id,
        )
        await directory.create_department(ledger_of(request), me, dep)
        return views.department_view(dep)

    @api.get("/users", tags=["directory"], summary="用户列表（管理员）")
    async def users(request: Request, me: Me) -> list[dict[str, Any]]:
        admin_only(me)
        async with ledger_of(request).reading() as conn:
            return [views.user_view(u) for u in await repo.list_users(conn)]

    @api.post("/users", tags=["directory"], status_code=201, summary="新增用户（管理员）")
    async def create_user(request: Request, me: Me, body: UserCreateBody) -> dict[str, Any]:
        admin_only(me)
        user = User(
            f"user-{body.username}"[:64],
            body.username,
            body.display_name,
            body.role,
            body.department_id,
            body.email,
            plan_ids=tuple(dict.fromkeys(body.plan_ids)),
        )
        await directory.create_user(ledger_of(request), me, user, body.password)
        return views.user_view(user)

    @api.patch("/users/{user_id}", tags=["directory"], summary="修改用户（管理员）")
    async def update_user(
        request: Request, me: Me, user_id: str, body: UserUpdateBody
    ) -> dict[str, Any]:
        admin_only(me)
        changes = body.model_dump(exclude_unset=True, exclude={"password"})
        user = await directory.update_user(ledger_of(request), me, user_id, changes, body.password)
        return views.user_view(user)

    # --- plan import ---------------------------------------------------------------------------
    def importer_only(me: User) -> None:
        if not authz.is_decider(me):
            raise NotAllowed("只有督查人员可以导入方案")

    @api.post("/imports", tags=["imports"], status_code=201, summary="上传方案，返回预览")
    async def upload(
        request: Request, me: Me, file: Annotated[UploadFile, File()]
    ) -> dict[str, Any]:
        importer_only(me)
        ledger = ledger_of(request)
        limit = ledger.settings.max_plan_bytes
        chunks, size = [], 0
        while chunk := await file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise DomainError(f"方案文件超过 {limit // 1024 // 1024} MB")
            chunks.append(chunk)
        return await imports.upload(ledger, me, file.filename or "plan.txt", b"".join(chunks))

    @api.get("/imports/{import_id}", tags=["imports"], summary="导入预览")
    async def preview(request: Request, me: Me, import_id: str) -> dict[str, Any]:
        importer_only(me)
        return await imports.get_import(ledger_of(request), import_id)

    @api.post("/imports/{import_id}/confirm", tags=["imports"], summary="确认导入")
    async def confirm(request: Request, me: Me, import_id: str) -> dict[str, Any]:
        importer_only(me)
        return await imports.confirm(ledger_of(request), me, import_id)

    @api.get("/plans", tags=["imports"], summary="方案列表")
    async def plans(request: Request, me: Me) -> list[dict[str, Any]]:
        query = t.plans.select().order_by(t.plans.c.created_at)
        if (scope := authz.plan_scope(me)) is not None:
            query = query.where(t.plans.c.id.in_(scope))
        async with ledger_of(request).reading() as conn:
            rows = (await conn.execute(query)).all()
        return [
            {
                "id": r.id,
                "title": r.title,
                "doc_number": r.doc_number,
                "jurisdiction": r.jurisdiction,
                "due_on": r.due_on,
            }
            for r in rows
        ]

    return api
