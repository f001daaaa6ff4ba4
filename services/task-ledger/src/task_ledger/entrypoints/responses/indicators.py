"""Response models of indicators (量化指标) and milestones (时间节点)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from duban_contracts.vocabulary import (
    Light,
)


class IndicatorOut(BaseModel):
    id: str
    task_id: str = Field(description="指标所属任务（分解任务：上级任务）")
    name: str
    target: float
    unit: str
    due_on: date | None
    baseline: float | None
    qualifier: str | None
    kind: Literal["cumulative", "new"]
    aggregation: Literal["sum", "mean"]
    source_text: str
    current: float | None = Field(description="当前值（分解任务为下级汇总）")
    own_share: float | None = Field(description="本任务填报的值")
    completion: float | None = Field(description="完成率（%）")
    expected: float | None = Field(description="按进度应达")
    light: Light
    reason: str | None
    summary: str


class IndicatorValueOut(BaseModel):
    task_id: str
    report_id: str
    department_id: str
    value: float
    at: datetime


class MilestoneStateOut(BaseModel):
    key: str
    due_on: date = Field(description="时间节点")
    text: str
    done: bool = Field(description="是否已报告完成")
    report_id: str | None = Field(description="报告完成的进展填报")
