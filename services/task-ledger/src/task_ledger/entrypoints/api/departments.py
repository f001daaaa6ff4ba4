"""Departments (单位): everyone reads them, administrators add, change and merge them."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.domain.model import Department
from task_ledger.entrypoints.api.admin_models import (
    DepartmentMergeBody,
    DepartmentMerged,
    DepartmentUpdateBody,
    UnstaffedDepartments,
)
from task_ledger.entrypoints.deps import AdminUser, CurrentUser, LedgerDep
from task_ledger.entrypoints.responses import DepartmentOut
from task_ledger.entrypoints.schemas import DepartmentBody
from task_ledger.service_layer import directory, people, queries

router = APIRouter(prefix="/departments", tags=["directory"])


@router.get("", summary="单位列表（已合并的重复单位不列出）")
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


@router.get("/unstaffed", summary="承担任务却没有联络员的单位（管理员）")
async def unstaffed(ledger: LedgerDep, me: AdminUser) -> UnstaffedDepartments:
    return UnstaffedDepartments.of(await people.departments_without_liaison(ledger))


@router.patch("/{department_id}", summary="修改单位：更名、层级、上级单位（管理员）")
async def update_department(
    ledger: LedgerDep, me: AdminUser, department_id: str, body: DepartmentUpdateBody
) -> DepartmentOut:
    changes = body.model_dump(exclude_unset=True)
    return DepartmentOut.of(await people.update_department(ledger, me, department_id, changes))


@router.post("/{department_id}/merge", summary="把重复单位并入另一单位（管理员）")
async def merge_department(
    ledger: LedgerDep, me: AdminUser, department_id: str, body: DepartmentMergeBody
) -> DepartmentMerged:
    done = await people.merge_department(ledger, me, department_id, body.into_id)
    return DepartmentMerged(
        merged=DepartmentOut.of(done.duplicate),
        into=DepartmentOut.of(done.kept),
        tasks_moved=done.tasks_moved,
    )
