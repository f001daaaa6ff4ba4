"""Request and response models of the people-and-departments administration (admins only):
department changes and merges, user search and account actions, bulk-loaded liaison lists."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints

from duban_contracts.vocabulary import JurisdictionLevel
from task_ledger.domain.model import Department
from task_ledger.entrypoints.responses import DepartmentOut, UserOut
from task_ledger.entrypoints.schemas import IdStr, Request
from task_ledger.service_layer.liaison_list import Created, LiaisonRow

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class DepartmentUpdateBody(Request):
    name: Name | None = None
    jurisdiction: Place | None = None
    level: JurisdictionLevel | None = None
    parent_id: IdStr | None = Field(default=None, description="上级单位；null：无上级")


class DepartmentMergeBody(Request):
    into_id: IdStr = Field(description="保留的单位：被合并单位的任务、人员移到这里")


class DepartmentMerged(BaseModel):
    merged: DepartmentOut
    into: DepartmentOut
    tasks_moved: int


class UnstaffedDepartments(BaseModel):
    count: int = Field(description="承担任务却没有在用联络员的单位数")
    departments: list[DepartmentOut]
    fix_url: str = Field(description="补录联络员的页面")

    @classmethod
    def of(cls, deps: list[Department]) -> Self:
        return cls(
            count=len(deps),
            departments=[DepartmentOut.of(d) for d in deps],
            fix_url="/admin/people/import",
        )


class PasswordReset(BaseModel):
    user: UserOut
    initial_password: str = Field(
        description="一次性初始密码，只显示这一次；生产环境首次登录须修改"
    )


class LiaisonRowOut(BaseModel):
    line: int = Field(description="文件中的行号")
    department: str
    department_id: str | None
    department_name: str
    name: str
    mobile: str
    email: str
    im_id: str
    username: str
    errors: list[str]

    @classmethod
    def of(cls, row: LiaisonRow) -> Self:
        return cls(
            line=row.line,
            department=row.department,
            department_id=row.department_id,
            department_name=row.department_name,
            name=row.name,
            mobile=row.mobile,
            email=row.email,
            im_id=row.im_id,
            username=row.username,
            errors=list(row.errors),
        )


class LiaisonPreview(BaseModel):
    rows: list[LiaisonRowOut]
    error_rows: int = Field(description="有错误的行数；为 0 时才能确认导入")


class CreatedAccount(BaseModel):
    department_name: str
    display_name: str
    username: str
    initial_password: str

    @classmethod
    def of(cls, c: Created) -> Self:
        return cls(
            department_name=c.department_name,
            display_name=c.display_name,
            username=c.username,
            initial_password=c.password,
        )


class LiaisonsLoaded(BaseModel):
    created: list[CreatedAccount]
    unstaffed: UnstaffedDepartments
