"""Plan cascade (issue 24): a plan's superior and measure links, in the import preview and on a
stored plan, and a superior plan's coverage by its subordinate plans."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.entrypoints.cascade_models import (
    CoverageOut,
    LinkDecisions,
    PlanLinksOut,
    SuperiorChoice,
)
from task_ledger.entrypoints.deps import CurrentUser, ImporterUser, LedgerDep
from task_ledger.entrypoints.responses import PreviewDocument
from task_ledger.service_layer import cascade, cascade_preview, coverage

router = APIRouter(tags=["cascade"])


@router.get("/plans/{plan_id}/coverage", summary="下级落实情况（措施 × 下级方案）")
async def plan_coverage(ledger: LedgerDep, me: CurrentUser, plan_id: str) -> CoverageOut:
    return CoverageOut.model_validate(await coverage.coverage_of(ledger, me, plan_id))


@router.get("/plans/{plan_id}/links", summary="上级方案与措施对应关系")
async def plan_links(ledger: LedgerDep, me: CurrentUser, plan_id: str) -> PlanLinksOut:
    return PlanLinksOut.model_validate(await cascade.plan_links_of(ledger, me, plan_id))


@router.put("/plans/{plan_id}/superior", summary="设置（或更换、取消）上级方案")
async def link_plan(
    ledger: LedgerDep, me: ImporterUser, plan_id: str, body: SuperiorChoice
) -> PlanLinksOut:
    return PlanLinksOut.model_validate(
        await cascade.link_plan(ledger, me, plan_id, body.superior_plan_id)
    )


@router.post("/plans/{plan_id}/measure-links", summary="确认或驳回措施对应关系")
async def decide_links(
    ledger: LedgerDep, me: ImporterUser, plan_id: str, body: LinkDecisions
) -> PlanLinksOut:
    return PlanLinksOut.model_validate(
        await cascade.decide_links(ledger, me, plan_id, body.as_map())
    )


@router.put("/imports/{import_id}/plans/{plan_id}/superior", summary="导入预览：选定上级方案")
async def preview_superior(
    ledger: LedgerDep, me: ImporterUser, import_id: str, plan_id: str, body: SuperiorChoice
) -> PreviewDocument:
    return PreviewDocument.model_validate(
        await cascade_preview.choose_superior_in_preview(
            ledger, me, import_id, plan_id, body.superior_plan_id
        )
    )


@router.post(
    "/imports/{import_id}/plans/{plan_id}/measure-links",
    summary="导入预览：确认或驳回措施对应关系",
)
async def preview_decide(
    ledger: LedgerDep, me: ImporterUser, import_id: str, plan_id: str, body: LinkDecisions
) -> PreviewDocument:
    return PreviewDocument.model_validate(
        await cascade_preview.decide_in_preview(ledger, me, import_id, plan_id, body.as_map())
    )
