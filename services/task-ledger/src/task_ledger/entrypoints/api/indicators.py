"""Indicators (量化指标): of a task, their history, corrections by supervisors, and their drafts
and conflicts in an import's preview."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from task_ledger.domain.indicators import Aggregation, Kind
from task_ledger.entrypoints.conflict_models import PlanConflictChoice, PlanConflictOut
from task_ledger.entrypoints.deps import CurrentUser, ImporterUser, LedgerDep
from task_ledger.entrypoints.responses import (
    Changed,
    IndicatorConflictOut,
    IndicatorDraftOut,
    IndicatorOut,
    IndicatorValueOut,
    MilestoneStateOut,
)
from task_ledger.service_layer import indicator_conflicts, indicators, milestones

router = APIRouter(tags=["indicators"])

Figure = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class IndicatorEdit(BaseModel):
    """What a person corrects; omitted fields stay as they are."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    target: Figure | None = None
    unit: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    due: date | None = None
    baseline: Figure | None = None
    qualifier: Annotated[str, Field(max_length=10)] | None = None
    kind: Kind | None = None
    aggregation: Aggregation | None = None
    dropped: bool = Field(default=False, description="删除误识别的目标")

    def changes(self) -> indicators.IndicatorChanges:
        return indicators.IndicatorChanges(
            name=self.name,
            target=self.target,
            unit=self.unit,
            due=self.due,
            baseline=self.baseline,
            qualifier=self.qualifier,
            kind=self.kind,
            aggregation=self.aggregation,
        )


class MilestoneWanted(BaseModel):
    key: (
        Annotated[str, Field(min_length=1, max_length=20, description="已有时间节点；新增的不填")]
        | None
    ) = None
    due_on: date = Field(description="时间节点日期")
    text: Annotated[str, Field(min_length=1, max_length=500)]


class MilestonesEdit(BaseModel):
    """The task's whole new set of milestones: the ones left out are dropped."""

    milestones: list[MilestoneWanted] = Field(max_length=50)


class ConflictChoice(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    choice: Literal["first", "second", "both"]


@router.get("/tasks/{task_id}/indicators", summary="任务的量化指标（当前值、完成率、亮灯）")
async def task_indicators(ledger: LedgerDep, me: CurrentUser, task_id: str) -> list[IndicatorOut]:
    found = await indicators.task_indicators(ledger, me, task_id)
    return [IndicatorOut.model_validate(i) for i in found]


@router.get("/tasks/{task_id}/milestones", summary="任务的时间节点及完成情况")
async def task_milestones(
    ledger: LedgerDep, me: CurrentUser, task_id: str
) -> list[MilestoneStateOut]:
    found = await indicators.task_milestones(ledger, me, task_id)
    return [MilestoneStateOut.model_validate(m) for m in found]


@router.put("/tasks/{task_id}/milestones", summary="修改、新增或删除时间节点（督查）")
async def edit_milestones(
    ledger: LedgerDep, me: CurrentUser, task_id: str, body: MilestonesEdit
) -> list[MilestoneStateOut]:
    wanted = [(m.key, m.due_on, m.text.strip()) for m in body.milestones]
    found = await milestones.edit(ledger, me, task_id, wanted)
    return [MilestoneStateOut.model_validate(m) for m in found]


@router.get("/indicators/{indicator_id}/values", summary="指标填报历史")
async def history(ledger: LedgerDep, me: CurrentUser, indicator_id: str) -> list[IndicatorValueOut]:
    found = await indicators.indicator_history(ledger, me, indicator_id)
    return [IndicatorValueOut.model_validate(v) for v in found]


@router.patch("/indicators/{indicator_id}", summary="修改或删除指标（督查）")
async def edit(
    ledger: LedgerDep, me: ImporterUser, indicator_id: str, body: IndicatorEdit
) -> Changed:
    await indicators.edit_indicator(ledger, me, indicator_id, body.changes(), body.dropped)
    return Changed(changed=True)


@router.patch(
    "/imports/{import_id}/measures/{measure_id}/indicators/{key}",
    summary="在导入预览中修改或删除指标",
)
async def edit_draft(
    ledger: LedgerDep,
    me: ImporterUser,
    import_id: str,
    measure_id: str,
    key: str,
    body: IndicatorEdit,
) -> IndicatorDraftOut:
    draft = await indicators.edit_preview_indicator(
        ledger, me, import_id, measure_id, key, body.changes(), body.dropped
    )
    return IndicatorDraftOut.model_validate(draft)


@router.post("/imports/{import_id}/indicator-conflicts", summary="确认前后不一致的指标以哪处为准")
async def resolve(
    ledger: LedgerDep, me: ImporterUser, import_id: str, body: ConflictChoice
) -> IndicatorConflictOut:
    found = await indicators.resolve_conflict(ledger, me, import_id, body.name, body.choice)
    return IndicatorConflictOut.model_validate(found)


@router.get(
    "/plans/{plan_id}/indicator-conflicts", summary="方案中前后不一致（或与上级方案不一致）的指标"
)
async def plan_conflicts(ledger: LedgerDep, me: CurrentUser, plan_id: str) -> list[PlanConflictOut]:
    found = await indicator_conflicts.plan_conflicts(ledger, me, plan_id)
    return [PlanConflictOut.model_validate(c) for c in found]


@router.post("/plans/{plan_id}/indicator-conflicts", summary="确认不一致的指标以哪处为准（导入后）")
async def decide_plan_conflict(
    ledger: LedgerDep, me: CurrentUser, plan_id: str, body: PlanConflictChoice
) -> PlanConflictOut:
    found = await indicator_conflicts.decide(ledger, me, plan_id, body.conflict_id, body.choice)
    return PlanConflictOut.model_validate(found)
