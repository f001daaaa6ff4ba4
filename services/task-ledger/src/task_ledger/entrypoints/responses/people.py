"""Response models of departments, users, logins, the inbox, plans and small acknowledgements."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, Field

from duban_contracts.vocabulary import (
    JurisdictionLevel,
    Role,
)
from task_ledger.domain.model import Department, User
from task_ledger.entrypoints.responses.base import (
    Out,
    aware,
)


class DepartmentOut(Out):
    id: str
    name: str
    jurisdiction: str
    level: JurisdictionLevel
    level_label: str
    parent_id: str | None

    @classmethod
    def of(cls, dep: Department) -> Self:
        return cls(
            id=dep.id,
            name=dep.name,
            jurisdiction=dep.jurisdiction,
            level=dep.level,
            level_label=dep.level.label,
            parent_id=dep.parent_id,
        )


class UserOut(Out):
    id: str
    username: str
    display_name: str
    role: Role
    role_label: str
    department_id: str | None
    email: str | None
    active: bool
    plan_ids: list[str] = Field(description="督查、领导小组成员所督办的方案；空：全部方案")
    must_change_password: bool = Field(
        default=False, description="初始或重置的密码须先修改（POST /api/auth/password）"
    )

    @classmethod
    def of(cls, user: User) -> Self:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            role_label=user.role.label,
            department_id=user.department_id,
            email=user.email,
            active=user.active,
            plan_ids=list(user.plan_ids),
            must_change_password=user.must_change_password,
        )


class LoginOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserOut


class LogoutOut(BaseModel):
    logged_out: Literal[True] = True


class InboxMessageOut(BaseModel):
    id: str
    subject: str
    body: str | None
    link: str | None
    task_ids: list[str]
    at: datetime | None
    read: bool

    @classmethod
    def of(cls, row: Any) -> Self:
        return cls(
            id=row.id,
            subject=row.subject,
            body=row.body,
            link=row.link,
            task_ids=row.task_ids or [],
            at=aware(row.at),
            read=row.read_at is not None,
        )


class Changed(BaseModel):
    changed: bool


class Queued(BaseModel):
    command_id: str
    status: Literal["queued"] = "queued"


class PlanOut(Out):
    id: str
    title: str
    doc_number: str | None
    jurisdiction: str | None
    due_on: date | None
