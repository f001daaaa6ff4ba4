"""催报: remind a department of its missing monthly progress report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.responses import Queued
from task_ledger.service_layer.report_reminders import remind_missing_report

router = APIRouter(prefix="/monthly-reports", tags=["reports"])
Period = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="月份，如 2026-02")]


@router.post("/{department_id}/{period}/reminders", status_code=202, summary="催报（缺报单位）")
async def remind(ledger: LedgerDep, me: CurrentUser, department_id: str, period: Period) -> Queued:
    return Queued(command_id=await remind_missing_report(ledger, me, department_id, period))
