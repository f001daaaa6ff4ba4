"""Request and response models of a plan's indicator conflicts after import (kept apart from
responses.py; see service_layer/indicator_conflicts.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field


class PlanConflictPlaceOut(BaseModel):
    indicator_id: str | None = Field(description="空：该处措施未立项，只是文中写明的目标")
    task_id: str | None
    measure_id: str
    measure_label: str
    plan_title: str | None = Field(description="上级方案的标题（与上级方案不一致时）")
    target: float
    unit: str
    due: str | None
    kind: str
    sentence: str = Field(description="原文")


class PlanConflictOut(BaseModel):
    id: str
    scope: Literal["plan", "superior"] = Field(
        description="plan：本方案前后不一致；superior：与上级方案不一致"
    )
    name: str
    unit: str
    message: str
    places: list[PlanConflictPlaceOut]
    resolution: Literal["first", "second", "both"] | None = Field(
        description="以哪一处为准；空：待人工确认"
    )


class PlanConflictChoice(BaseModel):
    conflict_id: Annotated[str, Field(min_length=1, max_length=64)]
    choice: Literal["first", "second", "both"]
