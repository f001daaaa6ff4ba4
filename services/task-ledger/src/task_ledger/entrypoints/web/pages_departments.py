"""Administration pages (admins only): the overview (/admin) and departments — list, create,
rename, set the level and the parent (上级单位), merge a duplicate into another."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from duban_contracts.vocabulary import JurisdictionLevel, Role
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import Department, User
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    Forbidden,
    PageRoute,
    act,
    checked_form,
    page_user,
    redirect,
    render,
    text,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import directory, people

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def admin_user(me: Annotated[User, Depends(page_user)]) -> User:
    if me.role != Role.ADMIN:
        raise Forbidden("只有管理员可以管理人员和单位")
    return me


Admin = Annotated[User, Depends(admin_user)]
LEVELS = [(level.value, level.label) for level in JurisdictionLevel]


def level_of(value: str) -> JurisdictionLevel:
    try:
        return JurisdictionLevel(value)
    except ValueError:
        raise DomainError("请选择单位层级") from None


@router.get("/admin")
async def admin_home(request: Request, me: Admin) -> Response:
    ledger = get_ledger(request)
    unstaffed = await people.departments_without_liaison(ledger)
    deps = await people.departments_with_liaisons(ledger)
    return render(request, "admin_home.html", unstaffed_list=unstaffed, department_count=len(deps))


@router.get("/admin/departments")
async def departments(request: Request, me: Admin) -> Response:
    ledger = get_ledger(request)
    wanted = request.query_params.get("q", "").strip()[:100]
    only_unstaffed = request.query_params.get("unstaffed") == "1"
    everyone = await people.departments_with_liaisons(ledger)
    rows = everyone
    if only_unstaffed:
        missing = {d.id for d in await people.departments_without_liaison(ledger)}
        rows = [(d, n) for d, n in rows if d.id in missing]
    if wanted:
        rows = [(d, n) for d, n in rows if wanted in d.name or wanted in d.jurisdiction]
    return render(
        request,
        "departments.html",
        rows=rows,
        names={d.id: d.name for d, _ in everyone},
        names_sorted=[d for d, _ in everyone],
        q=wanted,
        only_unstaffed=only_unstaffed,
        levels=LEVELS,
    )


@router.post("/admin/departments")
async def create_department(request: Request, me: Admin) -> Response:
    form = await checked_form(request)
    ledger = get_ledger(request)
    session = get_session(request)
    try:
        name, place = text(form, "name", 200), text(form, "jurisdiction", 100)
        if not name or not place:
            raise DomainError("请填写单位名称和所属地区")
        dep = Department(
            directory.department_id(place, name),
            name,
            place,
            level_of(text(form, "level", 20)),
            text(form, "parent_id", 64) or None,
        )
        await directory.create_department(ledger, me, dep)
    except DomainError as exc:
        session.flash(str(exc), "error")
        return redirect("/admin/departments")
    session.flash(f"已新增单位“{dep.name}”", "success")
    return redirect(f"/admin/departments/{dep.id}")


@router.get("/admin/departments/{department_id}")
async def department(request: Request, me: Admin, department_id: str) -> Response:
    ledger = get_ledger(request)
    rows = await people.departments_with_liaisons(ledger)
    found = next(((d, n) for d, n in rows if d.id == department_id), None)
    if found is None:
        raise NotFound("单位不存在或已并入其他单位")
    dep, liaisons = found
    return render(
        request,
        "department.html",
        dep=dep,
        liaisons=liaisons,
        others=[d for d, _ in rows if d.id != dep.id],
        levels=LEVELS,
    )


@router.post("/admin/departments/{department_id}")
async def update_department(request: Request, me: Admin, department_id: str) -> Response:
    form = await checked_form(request)
    back = f"/admin/departments/{department_id}"

    async def change() -> None:
        name, place = text(form, "name", 200), text(form, "jurisdiction", 100)
        if not name or not place:
            raise DomainError("请填写单位名称和所属地区")
        changes: dict[str, object] = {
            "name": name,
            "jurisdiction": place,
            "level": level_of(text(form, "level", 20)),
            "parent_id": text(form, "parent_id", 64) or None,
        }
        await people.update_department(get_ledger(request), me, department_id, changes)

    return await act(request, back, change(), "单位已保存")


@router.post("/admin/departments/{department_id}/merge")
async def merge(request: Request, me: Admin, department_id: str) -> Response:
    form = await checked_form(request)
    session = get_session(request)
    into = text(form, "into_id", 64)
    if not into:
        session.flash("请选择保留的单位", "error")
        return redirect(f"/admin/departments/{department_id}")
    try:
        done = await people.merge_department(get_ledger(request), me, department_id, into)
    except DomainError as exc:
        session.flash(str(exc), "error")
        return redirect(f"/admin/departments/{department_id}")
    session.flash(
        f"“{done.duplicate.name}”已并入“{done.kept.name}”："
        f"任务 {done.tasks_moved} 项及其人员已转入",
        "success",
    )
    return redirect(f"/admin/departments/{into}")
