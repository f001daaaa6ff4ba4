"""People pages (admins only): find users, create one, change department, role and plan
scope, deactivate or reactivate, reset a password (a one-time initial password shown once),
and bulk-load liaisons from a list (.xlsx/.csv: upload → row-by-row preview → confirm)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData, UploadFile

from duban_contracts.vocabulary import Role
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.schemas import Email, Username
from task_ledger.entrypoints.web.common import (
    PageRoute,
    act,
    checked_form,
    redirect,
    render,
    text,
)
from task_ledger.entrypoints.web.pages_departments import Admin
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import directory, liaison_list, people, rate_limits, uploads
from task_ledger.service_layer import queries as q

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 50
ROLES = [(r.value, r.label) for r in Role]


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise DomainError("请选择角色") from None


async def _choices(request: Request) -> dict[str, Any]:
    ledger = get_ledger(request)
    deps = [d for d, _ in await people.departments_with_liaisons(ledger)]
    async with ledger.reading() as conn:
        plans = await q.plans(conn)
    return {"departments": deps, "plans": plans, "roles": ROLES}


@router.get("/admin/people")
async def people_list(request: Request, me: Admin) -> Response:
    params = request.query_params
    raw_page = params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    role = params.get("role", "")
    active = {"1": True, "0": False}.get(params.get("active", ""))
    query = people.UserQuery(
        params.get("q", "").strip()[:100],
        Role(role) if role in {r.value for r in Role} else None,
        params.get("department_id") or None,
        active,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    found, total = await people.search_users(get_ledger(request), query)
    choices = await _choices(request)
    names = {d.id: d.name for d in choices["departments"]}
    pages = max(1, -(-total // PAGE_SIZE))

    def page_url(n: int) -> str | None:
        if not 1 <= n <= pages or n == page:
            return None
        return "/admin/people?" + urlencode({**dict(params), "page": str(n)})

    return render(
        request,
        "people.html",
        users=found,
        total=total,
        page=page,
        pages=pages,
        prev_url=page_url(page - 1),
        next_url=page_url(page + 1),
        forces_change=get_ledger(request).settings.forces_password_change,
        query=query,
        names=names,
        active=params.get("active", ""),
        **choices,
    )


def _valid(kind: Any, value: str, label: str) -> str:
    """A form value checked by the API's own field types (same rules, same Chinese reasons)."""
    try:
        return str(TypeAdapter(kind).validate_python(value))
    except ValidationError as exc:
        reason = exc.errors()[0].get("ctx", {}).get("error")
        raise DomainError(str(reason) if reason else f"{label}不正确") from None


def _plan_ids(form: FormData) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in form.getlist("plan_ids") if isinstance(v, str) and v))


@router.post("/admin/people")
async def create_user(request: Request, me: Admin) -> Response:
    form = await checked_form(request)
    ledger = get_ledger(request)
    session = get_session(request)
    try:
        await rate_limits.count(ledger, me, "user_create")
        username = text(form, "username", 100)
        username = _valid(Username, username, "用户名")
        name = text(form, "display_name", 200)
        if not name:
            raise DomainError("请填写姓名")
        email = text(form, "email", 254) or None
        user = User(
            directory.user_id(username),
            username,
            name,
            _role(text(form, "role", 30)),
            text(form, "department_id", 64) or None,
            _valid(Email, email, "邮箱") if email else None,
            plan_ids=_plan_ids(form),
        )
        password = people.initial_password()
        await directory.create_user(ledger, me, user, password)
    except DomainError as exc:
        session.flash(str(exc), "error")
        return redirect("/admin/people")
    return render(request, "person_password.html", user=user, password=password, created=True)


@router.get("/admin/people/import")
async def import_form(request: Request, me: Admin) -> Response:
    return render(request, "liaison_import.html", rows=None, created=None)


def _signer(request: Request) -> URLSafeSerializer:
    secret = get_ledger(request).settings.secret_key.get_secret_value()
    return URLSafeSerializer(secret, salt="liaison-list")


@router.post("/admin/people/import")
async def import_preview(request: Request, me: Admin) -> Response:
    form = await checked_form(request)
    ledger = get_ledger(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        get_session(request).flash("请选择联络员名单文件（.xlsx 或 .csv）", "error")
        return redirect("/admin/people/import")
    try:
        data = await uploads.read_plan_file(ledger.settings, upload)
        rows = await liaison_list.preview(
            ledger, liaison_list.parse(liaison_list.read_table(data, upload.filename))
        )
    except DomainError as exc:
        get_session(request).flash(str(exc), "error")
        return redirect("/admin/people/import")
    # The checked rows travel signed in the form: confirming needs no second upload, and a
    # tampered list is refused (confirm checks every row again anyway).
    payload = _signer(request).dumps([{**asdict(r), "errors": []} for r in rows])
    errors = sum(bool(r.errors) for r in rows)
    return render(
        request,
        "liaison_import.html",
        rows=rows,
        errors=errors,
        payload=payload,
        filename=upload.filename,
        created=None,
    )


@router.post("/admin/people/import/confirm")
async def import_confirm(request: Request, me: Admin) -> Response:
    form = await checked_form(request)
    ledger = get_ledger(request)
    session = get_session(request)
    try:
        raw = _signer(request).loads(text(form, "rows", 2_000_000))
        rows = [liaison_list.LiaisonRow(**r) for r in raw]
    except (BadSignature, TypeError):
        session.flash("名单已失效，请重新上传", "error")
        return redirect("/admin/people/import")
    try:
        await rate_limits.count(ledger, me, "user_create")
        created = await liaison_list.confirm(ledger, me, rows)
    except DomainError as exc:
        session.flash(str(exc), "error")
        return redirect("/admin/people/import")
    unstaffed = await people.departments_without_liaison(ledger)
    return render(
        request, "liaison_import.html", rows=None, created=created, unstaffed_list=unstaffed
    )


@router.get("/admin/people/{user_id}")
async def person(request: Request, me: Admin, user_id: str) -> Response:
    ledger = get_ledger(request)
    found, _ = await people.search_users(ledger, people.UserQuery(limit=1, user_id=user_id))
    if not found:
        raise DomainError("用户不存在")
    return render(request, "person.html", user=found[0], **await _choices(request))


@router.post("/admin/people/{user_id}")
async def update_person(request: Request, me: Admin, user_id: str) -> Response:
    form = await checked_form(request)

    async def change() -> None:
        name = text(form, "display_name", 200)
        if not name:
            raise DomainError("请填写姓名")
        email = text(form, "email", 254) or None
        role = _role(text(form, "role", 30))
        changes: dict[str, object] = {
            "display_name": name,
            "email": _valid(Email, email, "邮箱") if email else None,
            "role": role,
            "department_id": text(form, "department_id", 64) or None,
            "plan_ids": _plan_ids(form) if role in (Role.SUPERVISOR, Role.LEADERSHIP) else (),
        }
        await directory.update_user(get_ledger(request), me, user_id, changes, None)

    return await act(request, f"/admin/people/{user_id}", change(), "已保存")


@router.post("/admin/people/{user_id}/active")
async def set_active(request: Request, me: Admin, user_id: str) -> Response:
    form = await checked_form(request)
    active = text(form, "active", 5) == "1"
    done = "账号已恢复" if active else "账号已停用，其登录已全部失效"
    action = people.set_active(get_ledger(request), me, user_id, active)
    return await act(request, f"/admin/people/{user_id}", action, done)


@router.post("/admin/people/{user_id}/password")
async def reset_password(request: Request, me: Admin, user_id: str) -> Response:
    await checked_form(request)
    try:
        user, password = await people.reset_password(get_ledger(request), me, user_id)
    except DomainError as exc:
        get_session(request).flash(str(exc), "error")
        return redirect(f"/admin/people/{user_id}")
    return render(request, "person_password.html", user=user, password=password, created=False)
