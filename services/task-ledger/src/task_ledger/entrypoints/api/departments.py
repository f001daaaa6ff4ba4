"""Departments (单位): everyone reads them, administrators add them."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.domain.model import Department
from task_ledger.entrypoints.deps import AdminUser, CurrentUser, LedgerDep
from task_ledger.entrypoints.responses import DepartmentOut
from task_ledger.entrypoints.schemas import DepartmentBody
from task_ledger.service_layer import directory, queries

router = APIRouter(prefix="/departments", tags=["directory"])


@router.get("", summary="单位列表")
async def departments(ledger: LedgerDep, me: CurrentUser) -> list[DepartmentOut]:
    return [DepartmentOut.of(d) for d in await queries.departments(ledger)]


@router.post("", status_code=201, summary="新增单位（管理员）")
async def create_department(
    ledger: LedgerDep, me: AdminUser, body: DepartmentBody
) -> DepartmentOut:
    dep = Department(
        directory.department_id(body.jurisdiction, body.name),
        body.name,
        body.jurisdiction,
        body.level,
        body.parent_id,
    )
    await directory.create_department(ledger, me, dep)
    return DepartmentOut.of(dep)
