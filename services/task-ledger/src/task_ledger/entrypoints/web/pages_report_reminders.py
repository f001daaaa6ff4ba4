"""催报 from the supervisor home's 月度进展缺报 table (one button per department)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import PageRoute, act, checked_form, page_user
from task_ledger.service_layer.report_reminders import remind_missing_report

Me = Annotated[User, Depends(page_user)]
router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.post("/monthly-reports/{department_id}/{period}/remind")
async def remind(request: Request, me: Me, department_id: str, period: str) -> Response:
    await checked_form(request)
    action = remind_missing_report(get_ledger(request), me, department_id, period[:7])
    return await act(request, "/#missing-reports", action, "催报已发出")
