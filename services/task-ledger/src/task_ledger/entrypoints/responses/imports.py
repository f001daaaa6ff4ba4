"""Response models of a plan import: the preview `service_layer.imports` builds, jobs and
summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from task_ledger.entrypoints.cascade_models import MeasureLinkOut, ProposedSuperior
from task_ledger.entrypoints.responses.base import (
    Out,
    aware,
)


class Parsed(BaseModel):
    # What the plan parser found passes through whole, even fields added after this schema.
    model_config = ConfigDict(extra="allow")


class TargetOut(Parsed):
    text: str
    value: int | float
    unit: str
    due: str | None = None


class MilestoneOut(Parsed):
    due: str
    text: str


class DepartmentRef(BaseModel):
    printed: str = Field(description="文件中的写法")
    name: str
    jurisdiction: str
    level: str | None = Field(description="登记的层级（国家 / 省 / 市 / 县）；未登记：空")
    id: str
    known: bool = Field(description="是否为已登记的单位")
    collective: bool = Field(
        default=False, description="是否为集合性表述（如“各区人民政府”“相关部门”），而非单个单位"
    )


class IndicatorDraftOut(BaseModel):
    key: str
    name: str = Field(description="指标")
    target: float = Field(description="目标值（金额统一为万元）")
    unit: str
    due: str | None = Field(description="时间节点")
    baseline: float | None = Field(default=None, description="基数")
    qualifier: str | None = Field(default=None, description="以上、左右、力争、不少于……")
    kind: Literal["cumulative", "new"] = Field(description="累计值或新增值（新增）")
    aggregation: Literal["sum", "mean"] = Field(description="分解任务汇总方式：求和或平均")
    source_text: str = Field(description="目标出自的句子")
    checkpoints: list[dict[str, Any]] = Field(default_factory=list, description="阶段性目标")
    dropped: bool = False


class ConflictPlaceOut(BaseModel):
    measure_id: str
    measure_label: str
    key: str
    target: float
    due: str | None
    kind: str
    sentence: str


class IndicatorConflictOut(BaseModel):
    name: str
    unit: str
    message: str
    places: list[ConflictPlaceOut]
    resolution: Literal["first", "second", "both"] | None = Field(
        description="以哪一处为准；空：待人工确认"
    )


class PreviewMeasure(BaseModel):
    id: str
    task_id: str | None
    position: int
    label: str
    path: list[str]
    title: str
    text: str
    due: str | None
    targets: list[TargetOut]
    milestones: list[MilestoneOut]
    lead: list[DepartmentRef]
    supporting: list[DepartmentRef]
    indicators: list[IndicatorDraftOut] = Field(default_factory=list, description="量化指标草稿")


class PreviewDocument(BaseModel):
    plan_id: str
    title: str
    doc_number: str | None
    issuers: list[str]
    issued_on: str | None
    due: str | None
    jurisdiction: str | None
    warnings: list[str]
    measures: list[PreviewMeasure] = Field(description="第一页措施；其余见分页接口")
    measure_count: int = Field(description="措施总数")
    unknown_departments: list[str]
    collective_departments: list[str] = Field(
        default_factory=list,
        description="集体责任主体（如各县（市、区）人民政府），确认后分解到各成员单位",
    )
    task_count: int
    indicator_conflicts: list[IndicatorConflictOut] = Field(
        default_factory=list, description="同一指标前后不一致之处，待人工确认"
    )
    superior: ProposedSuperior | None = None  # plan cascade: the proposed superior plan
    measure_links: list[MeasureLinkOut] = []  # plan cascade: proposed measure links


ImportStatus = Literal["previewed", "confirming", "confirmed"]


class ImportProgress(BaseModel):
    done: int = Field(description="已处理的措施数")
    total: int = Field(description="措施总数")


class ImportPreview(BaseModel):
    import_id: str
    status: ImportStatus
    documents: list[PreviewDocument]


class ImportOut(ImportPreview):
    plan_ids: list[str]
    progress: ImportProgress | None = Field(default=None, description="后台导入进度")
    job_error: str | None = Field(default=None, description="后台导入中断的原因")


class ImportJob(BaseModel):
    """A large import being confirmed in the background (202): follow it on GET."""

    import_id: str
    status: Literal["confirming"]
    done: int
    total: int


class ImportSummary(Out):
    """One import in the list: what was uploaded, by whom, and what became of it."""

    id: str
    filename: str
    created_by: str
    created_at: datetime | None
    status: ImportStatus
    plan_ids: list[str] | None
    progress_done: int | None = Field(default=None, description="后台导入：已处理的措施数")
    progress_total: int | None = Field(default=None, description="后台导入：措施总数")
    job_error: str | None = Field(default=None, description="后台导入中断的原因")

    @field_validator("created_at")
    @classmethod
    def _zoned(cls, at: datetime | None) -> datetime | None:
        return aware(at)


class ImportPage(BaseModel):
    items: list[ImportSummary]
    total: int
    page: int
    page_size: int


class ImportConfirmed(BaseModel):
    import_id: str
    status: Literal["confirmed"]
    plan_ids: list[str]
    plans: int
    measures: int
    tasks: int
    departments: int
