"""Plan cascade pages (issue 24): a plan's page with its coverage (措施 × 下级方案) and, for a
supervisor, the form relinking it (its superior plan, its measure links); and the import
preview's forms choosing a document's superior plan and accepting or rejecting measure links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from duban_contracts.vocabulary import Light
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    PageRoute,
    act,
    checked_form,
    page_user,
    redirect,
    render,
    require_decider,
    require_overseer,
    text,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import (
    cascade,
    cascade_preview,
    coverage,
    indicator_conflicts,
    queries,
)

Me = Annotated[User, Depends(page_user)]
router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIGHT_LABELS = {light.value: light.label for light in Light}


@router.get("/plans/{plan_id}/coverage")
async def plan_coverage(request: Request, me: Me, plan_id: str) -> Response:
    require_overseer(me, "查看下级落实情况")
    ledger = get_ledger(request)
    found = await coverage.coverage_of(ledger, me, plan_id)
    links = await cascade.plan_links_of(ledger, me, plan_id)
    relink = None
    if authz.is_decider(me):
        relink = await cascade.relink_choices(ledger, me, plan_id)
        relink["plans"] = [p for p in await queries.plans_of(ledger, me) if p.id != plan_id]
    return render(
        request,
        "coverage.html",
        cov=found,
        superior=links["superior"],
        links=links["measure_links"],
        relink=relink,
        conflicts=await indicator_conflicts.plan_conflicts(ledger, me, plan_id),
        may_decide=authz.is_decider(me),
        lights=LIGHT_LABELS,
    )


@router.post("/plans/{plan_id}/indicator-conflicts")
async def decide_conflict(request: Request, me: Me, plan_id: str) -> Response:
    form = await checked_form(request)
    require_decider(me, "确认指标冲突")
    choice = text(form, "choice", 10)
    done = {"first": "已按第一处统一", "second": "已按第二处统一", "both": "已确认两处都保留"}
    return await act(
        request,
        f"/plans/{plan_id}/coverage#conflicts",
        indicator_conflicts.decide(
            get_ledger(request), me, plan_id, text(form, "conflict_id", 64), choice
        ),
        done.get(choice, "已确认"),
    )


@router.post("/plans/{plan_id}/superior")
async def relink_plan(request: Request, me: Me, plan_id: str) -> Response:
    """Change (or drop) a stored plan's superior; its measure links are proposed afresh."""
    form = await checked_form(request)
    require_decider(me, "调整方案的上下级关系")
    superior_id = text(form, "superior_plan_id", 64) or None
    return await act(
        request,
        f"/plans/{plan_id}/coverage#relink",
        cascade.link_plan(get_ledger(request), me, plan_id, superior_id),
        "已更新上级方案，措施对应关系已重新建议，请逐条确认" if superior_id else "已取消上级方案",
    )


@router.post("/plans/{plan_id}/measure-links")
async def relink_measures(request: Request, me: Me, plan_id: str) -> Response:
    """Each listed link keeps its status unless a decision is picked (`d:measure|superior`
    = confirmed / rejected); a new pair (add_measure_id, add_superior_measure_id) is added
    confirmed. Rejecting is how a link is removed: it stays rejected so it is not proposed
    again."""
    form = await checked_form(request)
    require_decider(me, "调整措施对应关系")
    decisions: dict[tuple[str, str], str] = {}
    for name, value in list(form.multi_items())[:1000]:
        if name.startswith("d:") and value in ("confirmed", "rejected"):
            measure_id, _, superior_id = name[2:].partition("|")
            decisions[(measure_id, superior_id)] = str(value)
    added = (text(form, "add_measure_id", 64), text(form, "add_superior_measure_id", 64))
    if all(added):
        decisions[added] = "confirmed"
    elif any(added):
        get_session(request).flash("添加对应关系须同时选择本方案措施和上级措施", "error")
        return redirect(f"/plans/{plan_id}/coverage#relink")
    if not decisions:
        get_session(request).flash("没有要保存的措施对应关系变更", "error")
        return redirect(f"/plans/{plan_id}/coverage#relink")
    rejected = sum(1 for s in decisions.values() if s == "rejected")
    return await act(
        request,
        f"/plans/{plan_id}/coverage#relink",
        cascade.decide_links(get_ledger(request), me, plan_id, decisions),
        f"已确认 {len(decisions) - rejected} 条、驳回 {rejected} 条措施对应关系",
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
