"""Request and response models of the HTTP API. Requests forbid unknown fields: protected
fields (departments, due dates, status) can only change through the explicit actions."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from duban_contracts.vocabulary import Decision, EscalationLevel, JurisdictionLevel, Role

Text = Annotated[str, StringConstraints(max_length=20_000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=500)]
IdStr = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]


def _deliverable_email(address: str) -> str:
    """An address the notifier's SMTP can deliver: checked by email-validator, non-ASCII
    local parts (which need SMTPUTF8) and control characters refused, an internationalised
    domain kept in its ASCII (IDNA) form. Stored normalised (the domain in lower case)."""
    try:
        found = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(
            "电子邮件地址无效：须为 名称@域名 形式，用户名部分只能用英文字母、数字和常用符号，"
            "不能含中文、空格或控制字符"
        ) from exc
    return found.ascii_email or found.normalized


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_deliverable_email)]
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _username(name: str) -> str:
    if not _USERNAME.fullmatch(name):
        raise ValueError("用户名只能由英文字母、数字和 . _ - 组成，并以字母或数字开头")
    return name


# Letters, digits and . _ - (an e-mail address is not a username: it goes in `email`).
Username = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(_username)
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Request):
    username: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PasswordChange(Request):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    new_password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class DecisionBody(Request):
    decision: Decision
    comment: Text | None = None


class ExtensionRequestBody(Request):
    requested_due_on: date
    reason: Text


class NoticeBody(Request):
    department_id: IdStr
    level: EscalationLevel
    requirements: Text
    reply_due_on: date


class AnswerBody(Request):
    answer: Text


class ReminderBody(Request):
    message: Text
    level: EscalationLevel | None = None


class ChildTaskBody(Request):
    title: Short
    lead_department_ids: list[IdStr] = Field(min_length=1, max_length=20)
    supporting_department_ids: list[IdStr] = Field(default_factory=list, max_length=50)
    due_on: date | None = None


class DecomposeBody(Request):
    children: list[ChildTaskBody] = Field(min_length=1, max_length=100)


class DepartmentBody(Request):
    name: Short
    jurisdiction: Short
    level: JurisdictionLevel
    parent_id: IdStr | None = None


# The plans a supervisor oversees; empty: every plan.
PlanScope = Annotated[tuple[IdStr, ...], Field(max_length=200)]


class UserCreateBody(Request):
    username: Username
    display_name: Short
    role: Role
    department_id: IdStr | None = None
    email: Email | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)]
    plan_ids: PlanScope = ()


class UserUpdateBody(Request):
    display_name: Short | None = None
    role: Role | None = None
    department_id: IdStr | None = None
    email: Email | None = None
    active: bool | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = None
    plan_ids: PlanScope | None = None


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
