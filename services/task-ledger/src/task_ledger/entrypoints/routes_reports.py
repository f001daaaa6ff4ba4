"""Monthly scheduling report and Excel ledger downloads (supervisors, leadership, admins)."""

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from duban_contracts.vocabulary import Role
from task_ledger.domain import authz
from task_ledger.domain.errors import UnknownPlan
from task_ledger.domain.model import User
from task_ledger.entrypoints.problems import ApiError
from task_ledger.service_layer.reports import FORMATS, monthly_report_file

READERS = {Role.SUPERVISOR, Role.LEADERSHIP, Role.ADMIN}


def router(current_user: Callable[..., Any]) -> APIRouter:
    api = APIRouter(prefix="/api/reports", tags=["reports"])
    Me = Annotated[User, Depends(current_user)]

    @api.get("/monthly", summary="月度调度报告（html / md / xlsx）")
    async def monthly(
        request: Request,
        user: Me,
        plan: Annotated[str, Query(min_length=1, max_length=200, description="方案编号或名称")],
        month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
        format: Annotated[str, Query(pattern="^(html|md|xlsx)$")] = "html",
    ) -> Response:
        # A report covers every department of the plan, so liaisons never see one.
        if user.role not in READERS:
            raise ApiError(403, "只有督查、领导小组和管理员可以查看月度调度报告")
        try:
            report = await monthly_report_file(
                request.app.state.ledger, plan, month, format, authz.plan_scope(user)
            )
        except UnknownPlan as exc:
            raise ApiError(404, str(exc)) from None
        disposition = "inline" if format == "html" else "attachment"
        return Response(
            report.content,
            media_type=FORMATS[format],
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(report.filename)}"
            },
        )

    return api
