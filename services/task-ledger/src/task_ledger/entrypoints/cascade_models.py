"""Request and response models of the plan cascade (issue 24): plan and measure links, in the
import preview and on a stored plan, and a superior plan's coverage. Kept apart from
`schemas.py` and `responses.py`, which embed the preview's fields from here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from duban_contracts.vocabulary import Light, TaskStatus

Id = Annotated[str, Field(min_length=1, max_length=64)]


# --- requests -------------------------------------------------------------------------------
class SuperiorChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    superior_plan_id: Id | None = Field(description="上级方案 id；空：不设上级方案")


class LinkDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure_id: Id = Field(description="本方案（下级）的措施 id")
    superior_measure_id: Id = Field(description="上级方案的措施 id")
    status: Literal["confirmed", "rejected"]


class LinkDecisions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decisions: list[LinkDecision] = Field(min_length=1, max_length=500)

    def as_map(self) -> dict[tuple[str, str], str]:
        return {(d.measure_id, d.superior_measure_id): d.status for d in self.decisions}


# --- responses ------------------------------------------------------------------------------
class PlanRef(BaseModel):
    plan_id: str
    title: str
    doc_number: str | None
    jurisdiction: str | None


class SuperiorCandidate(PlanRef):
    score: float = Field(description="依据强度：引用文号 1.0，引用标题 0.9，附件 0.8/0.7")
    reason: str


class ProposedSuperior(BaseModel):
    plan_id: str | None = Field(description="选定的上级方案（确认导入时保存）")
    candidates: list[SuperiorCandidate]


class MeasureLinkOut(BaseModel):
    measure_id: str
    label: str
    title: str
    superior_measure_id: str
    superior_label: str
    superior_title: str
    score: float | None = Field(description="正文相似度（0–1）；人工添加：空")
    reason: str
    status: Literal["proposed", "confirmed", "rejected"]


class LinkedSuperior(PlanRef):
    confirmed_by: str
    confirmed_at: datetime


class PlanLinksOut(BaseModel):
    plan_id: str
    superior: LinkedSuperior | None
    measure_links: list[MeasureLinkOut]


class CoverageTask(BaseModel):
    task_id: str
    title: str
    status: TaskStatus
    lead_departments: list[str]
    light: Light
    progress: int


class Implementation(BaseModel):
    measure_id: str
    label: str
    title: str
    tasks: list[CoverageTask]


class CoverageCell(BaseModel):
    plan_id: str
    covered: bool
    progress: float | None = Field(description="该下级方案落实任务的平均进度")
    light: Light | None = Field(description="落实任务中最差的灯")
    implementations: list[Implementation]


class CoverageMeasure(BaseModel):
    measure_id: str
    label: str
    title: str
    covered_by: int = Field(description="落实该措施的下级方案数")
    uncovered: bool
    progress: float | None = Field(description="汇总进度（规则见 rule）；无人落实：空")
    cells: list[CoverageCell] = Field(description="按 subordinates 的顺序，每个下级方案一格")


class SubordinateOut(PlanRef):
    measures_covered: int
    progress: float | None


class MeasureRef(BaseModel):
    measure_id: str
    label: str
    title: str


class CoverageOut(BaseModel):
    plan: PlanRef
    rule: str
    subordinates: list[SubordinateOut]
    measures: list[CoverageMeasure]
    uncovered: list[MeasureRef]
