"""Decomposition (分解) on the task page: the lead liaison or a supervisor splits a task to
lower-level departments, or expands a collective party (各县（市、区）) into every department
of that level in the area, each child with its own deadline no later than the parent's
(`handlers.decompose` checks it all again). The parent shows its children by department name
with their lights, and the roll-up rule of its progress (`lifecycle.roll_up`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from duban_contracts.vocabulary import JurisdictionLevel, TaskStatus
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError
from task_ledger.domain.lifecycle import WORKING
from task_ledger.domain.model import Task, User
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    PageRoute,
    act,
    checked_form,
    page_user,
    redirect,
    task_rows,
    text,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import queries as q

Me = Annotated[User, Depends(page_user)]
MAX_CHILDREN = 100  # as the API's DecomposeBody
router = APIRouter(route_class=PageRoute, include_in_schema=False)

ROLL_UP_RULE = "汇总进度 = 各下级任务进度的平均值（已办结的按 100% 计），下级任务填报后自动更新"


def may_decompose(user: User, task: Task) -> bool:
    return (authz.is_lead_liaison(user, task) or authz.is_decider(user)) and task.status in (
        TaskStatus.DISPATCHED,
        *WORKING,
    )


async def decomposition_of(request: Request, me: User, task: Task) -> dict[str, Any]:
    """What the task page's 下级任务 panel shows: the children (every one to an overseer
    and to the department that split it, otherwise those the user takes part in), their
    departments by name, and the form's candidates grouped by level."""
    ledger = get_ledger(request)
    async with ledger.reading() as conn:
        children = await q.children_for(conn, me, task)
        names = await q.department_names(conn)
        candidates = await q.split_candidates(conn, me, task) if may_decompose(me, task) else []
        groups_leading = await q.collective_leads(conn, task)
    expand = request.query_params.get("expand")
    groups: dict[JurisdictionLevel, list[tuple[str, str]]] = {}
    for dep in candidates:
        groups.setdefault(dep.level, []).append((dep.id, dep.name))
    return {
        "children": task_rows(request, children, names),
        "rule": ROLL_UP_RULE,
        # A group leads and nothing is split yet: 待分解到成员单位 (the group has no liaison).
        "awaiting_members": groups_leading if not children else [],
        "can_decompose": bool(candidates),
        "groups": [(level, level.label, deps) for level, deps in groups.items()],
        "expanded": expand if expand in {lv.value for lv in groups} else None,
        "due_max": task.due_on,
        "default_title": task.title,
    }


def _due(form: Any, name: str) -> date | None:
    value = text(form, name, 20)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise DomainError("下级任务的完成时限格式不正确") from None


@router.post("/tasks/{task_id}/decompose")
async def decompose(request: Request, me: Me, task_id: str) -> Response:
    form = await checked_form(request)
    back = f"/tasks/{task_id}#decompose"
    try:
        chosen = list(dict.fromkeys(v for v in form.getlist("dep") if isinstance(v, str)))
        if not chosen:
            raise DomainError("请勾选至少一个下级单位")
        if len(chosen) > MAX_CHILDREN:
            raise DomainError(f"一次最多分解为 {MAX_CHILDREN} 项下级任务")
        title = text(form, "title", 500)
        if not title:
            raise DomainError("请填写下级任务名称")
        common_due = _due(form, "due_on")
        specs = [
            h.ChildSpec(title, (dep,), (), _due(form, f"due_{dep}") or common_due) for dep in chosen
        ]
    except DomainError as exc:
        get_session(request).flash(str(exc), "error")
        return redirect(back)
    action = h.decompose(get_ledger(request), me, task_id, specs)
    return await act(request, back, action, f"已分解为 {len(specs)} 项下级任务")
