"""Request and response models of batch work on selected tasks (批量签收 / 催办 / 审核) and of
the inbox's bulk actions."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from task_ledger.entrypoints.schemas import IdStr, Request, Text
from task_ledger.service_layer.batch import MAX_TASKS, BatchAction


class BatchBody(Request):
    action: BatchAction = Field(
        description="acknowledge 签收、remind 催办、approve 同意办结、return 退回"
    )
    task_ids: list[IdStr] = Field(min_length=1, max_length=MAX_TASKS)
    text: Text = Field(default="", description="催办内容，或审核意见（退回须填写）")


class BatchResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    task_id: str
    ok: bool
    message: Annotated[str, StringConstraints(max_length=2000)] = Field(
        description="办理结果，或未能办理的原因"
    )


class BatchOut(BaseModel):
    action: BatchAction
    succeeded: int
    failed: int
    results: list[BatchResultOut]


class MarkedRead(BaseModel):
    marked: int = Field(description="本次标为已读的消息数")
