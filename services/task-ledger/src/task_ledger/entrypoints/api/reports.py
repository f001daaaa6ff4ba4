"""Monthly scheduling report and Excel ledger downloads (supervisors, leadership, admins)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from task_ledger.domain import authz
from task_ledger.domain.errors import UnknownPlan
from task_ledger.entrypoints import downloads
from task_ledger.entrypoints.deps import LedgerDep, ReportReader
from task_ledger.entrypoints.problems import ApiError
from task_ledger.service_layer.reports import FORMATS, monthly_report_file

router = APIRouter(prefix="/reports", tags=["reports"])
REPORT_FILES: dict[int | str, dict[str, Any]] = {
    200: {"description": "报告文件", "content": {media: {} for media in FORMATS.values()}}
}


@router.get(
    "/monthly",
    response_class=Response,
    responses=REPORT_FILES,
    summary="月度调度报告（html / md / xlsx / docx / pdf）",
)
async def monthly(
    ledger: LedgerDep,
    me: ReportReader,
    plan: Annotated[str, Query(min_length=1, max_length=200, description="方案编号或名称")],
    month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
    format: Annotated[Literal["html", "md", "xlsx", "docx", "pdf"], Query()] = "html",
) -> Response:
    try:
        report = await monthly_report_file(ledger, plan, month, format, authz.plan_scope(me))
    except UnknownPlan as exc:
        raise ApiError(404, str(exc)) from None
    return downloads.report(report, inline=format == "html")
