"""Plan cascade pages (issue 24): a superior plan's coverage (措施 × 下级方案), and the import
preview's forms choosing a document's superior plan and accepting or rejecting measure links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from duban_contracts.vocabulary import Light
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    PageRoute,
    checked_form,
    page_user,
    redirect,
    render,
    require_decider,
    require_overseer,
    text,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import cascade, cascade_preview, coverage

Me = Annotated[User, Depends(page_user)]
router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIGHT_LABELS = {light.value: light.label for light in Light}


@router.get("/plans/{plan_id}/coverage")
async def plan_coverage(request: Request, me: Me, plan_id: str) -> Response:
    require_overseer(me, "查看下级落实情况")
    ledger = get_ledger(request)
    found = await coverage.coverage_of(ledger, me, plan_id)
    links = await cascade.plan_links_of(ledger, me, plan_id)
    return render(
        request, "coverage.html", cov=found, superior=links["superior"], lights=LIGHT_LABELS
    )


@router.post("/imports/{import_id}/plans/{plan_id}/superior")
async def choose_superior(request: Request, me: Me, import_id: str, plan_id: str) -> Response:
    form = await checked_form(request)
    require_decider(me, "导入方案")
    session = get_session(request)
    try:
        await cascade_preview.choose_superior_in_preview(
            get_ledger(request), me, import_id, plan_id, text(form, "superior_plan_id", 64) or None
        )
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        session.flash("已更新上级方案，措施对应关系已重新建议", "success")
    return redirect(f"/imports/{import_id}")


@router.post("/imports/{import_id}/plans/{plan_id}/measure-links")
async def decide_links(request: Request, me: Me, import_id: str, plan_id: str) -> Response:
    """Every listed link is accepted unless its 驳回 box is ticked."""
    form = await checked_form(request)
    require_decider(me, "导入方案")
    session = get_session(request)
    listed = [v for v in form.getlist("link") if isinstance(v, str)]
    rejected = {v for v in form.getlist("reject") if isinstance(v, str)}
    decisions = {}
    for value in listed[:500]:
        measure_id, _, superior_id = value.partition("|")
        decisions[(measure_id, superior_id)] = "rejected" if value in rejected else "confirmed"
    try:
        if not decisions:
            raise DomainError("没有可确认的措施对应关系")
        await cascade_preview.decide_in_preview(
            get_ledger(request), me, import_id, plan_id, decisions
        )
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        n = sum(1 for s in decisions.values() if s == "rejected")
        session.flash(f"已确认 {len(decisions) - n} 条、驳回 {n} 条措施对应关系", "success")
    return redirect(f"/imports/{import_id}")
