"""Indicator forms (量化指标): a supervisor's corrections on the task page, the choice between
two differing statements of one target on the import review page, and the values a liaison's
progress report carries (fields ``indicator:<id>`` of the report form)."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    PageRoute,
    checked_form,
    page_user,
    redirect,
    require_decider,
    text,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import indicators, milestones

Me = Annotated[User, Depends(page_user)]
router = APIRouter(route_class=PageRoute, include_in_schema=False)
FIELD_PREFIX = "indicator:"


def _number(raw: str, label: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise DomainError(f"{label}须为数字") from None
    if not math.isfinite(value) or value < 0:
        raise DomainError(f"{label}须为非负数字")
    return value


def reported_values(form: FormData) -> dict[str, float]:
    """The indicator values of a report form; blank fields are not reported."""
    values = {}
    for key in form:
        if key.startswith(FIELD_PREFIX):
            raw = text(form, key, 30)
            if raw:
                values[key.removeprefix(FIELD_PREFIX)[:64]] = _number(raw, "指标数值")
    return values


def done_milestones(form: FormData) -> tuple[str, ...]:
    """The milestones (时间节点) the report form's checkboxes declare done."""
    return tuple(v[:64] for v in form.getlist("milestone_done") if isinstance(v, str) and v)


@router.post("/tasks/{task_id}/indicators/{indicator_id}")
async def edit(request: Request, me: Me, task_id: str, indicator_id: str) -> Response:
    form = await checked_form(request)
    require_decider(me, "修改指标")
    session = get_session(request)
    try:
        drop = text(form, "drop", 10) == "1"
        due = text(form, "due", 20)
        baseline = text(form, "baseline", 30)
        changes = indicators.IndicatorChanges(
            target=_number(text(form, "target", 30), "目标值") if not drop else None,
            unit=text(form, "unit", 20) or None,
            due=_a_date(due) if due else None,
            baseline=_number(baseline, "基数") if baseline else None,
        )
        await indicators.edit_indicator(get_ledger(request), me, indicator_id, changes, drop)
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        session.flash("已删除指标" if drop else "已修改指标", "success")
    return redirect(f"/tasks/{task_id}#indicators")


@router.post("/tasks/{task_id}/milestones")
async def edit_milestones(request: Request, me: Me, task_id: str) -> Response:
    """The whole set from the form: each listed milestone with its (new) date and text unless
    its 删除 box is ticked, and the new one when both its date and text are filled."""
    form = await checked_form(request)
    require_decider(me, "修改时间节点")
    session = get_session(request)
    try:
        dropped = {v for v in form.getlist("drop") if isinstance(v, str)}
        wanted: list[tuple[str | None, date, str]] = []
        for key in [v for v in form.getlist("key") if isinstance(v, str)][:50]:
            if key not in dropped:
                due = _a_date(text(form, f"due:{key}", 20))
                wanted.append((key[:20], due, text(form, f"text:{key}", 500).strip()))
        new_due, new_text = text(form, "new_due", 20), text(form, "new_text", 500).strip()
        if new_due or new_text:
            if not (new_due and new_text):
                raise DomainError("新增时间节点须同时填写日期和事项")
            wanted.append((None, _a_date(new_due), new_text))
        await milestones.edit(get_ledger(request), me, task_id, wanted)
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        session.flash("已保存时间节点", "success")
    return redirect(f"/tasks/{task_id}#indicators")


def _a_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("请填写正确的时间节点") from None


@router.post("/imports/{import_id}/measures/{measure_id}/indicators/{key}")
async def edit_draft(
    request: Request, me: Me, import_id: str, measure_id: str, key: str
) -> Response:
    form = await checked_form(request)
    require_decider(me, "导入方案")
    session = get_session(request)
    try:
        drop = text(form, "drop", 10) == "1"
        raw_target, due = text(form, "target", 30), text(form, "due", 20)
        changes = indicators.IndicatorChanges(
            target=_number(raw_target, "目标值") if raw_target and not drop else None,
            unit=text(form, "unit", 20) or None,
            due=_a_date(due) if due else None,
        )
        await indicators.edit_preview_indicator(
            get_ledger(request), me, import_id, measure_id, key, changes, drop
        )
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        session.flash("已删除该目标" if drop else "已更正指标", "success")
    return redirect(f"/imports/{import_id}")


@router.post("/imports/{import_id}/indicator-conflicts")
async def resolve(request: Request, me: Me, import_id: str) -> Response:
    form = await checked_form(request)
    require_decider(me, "导入方案")
    session = get_session(request)
    try:
        await indicators.resolve_conflict(
            get_ledger(request), me, import_id, text(form, "name", 200), text(form, "choice", 10)
        )
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        session.flash("已确认指标", "success")
    return redirect(f"/imports/{import_id}")
