"""Reminder and escalation policy: a default for every plan, overridable per plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class PolicyError(ValueError):
    """A policy in the settings cannot be used. The text says why, in words for people."""


class ReminderPolicy(BaseModel):
    """All counts are working days."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Reminders before the due date, e.g. 5, 3 and 1 working days before.
    before_due: tuple[int, ...] = Field(default=(5, 3, 1))
    remind_on_due_day: bool = True
    # Overdue: the first reminder the working day after the due date, then every N.
    overdue_every: int = Field(default=2, ge=1, le=60)
    # 蓝: approaching (the department); None switches it off.
    blue_before: int | None = Field(default=3, ge=0, le=60)
    # 橙: overdue by N (the department head and the supervisor).
    orange_after: int = Field(default=3, ge=1, le=250)
    # 红: overdue by M, or an 橙 ignored for K (no progress report or notice answer since).
    red_after: int = Field(default=10, ge=1, le=250)
    red_if_orange_ignored_for: int | None = Field(default=5, ge=1, le=250)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if any(n < 1 or n > 250 for n in self.before_due):
            raise ValueError("before_due 中的天数必须在 1 到 250 个工作日之间")
        if len(set(self.before_due)) != len(self.before_due):
            raise ValueError("before_due 中的天数不能重复")
        if self.red_after <= self.orange_after:
            raise ValueError("red_after 必须大于 orange_after（先橙后红）")
        return self


class PolicyBook:
    """The default policy plus per-plan overrides (only the fields a plan changes)."""

    def __init__(
        self,
        default: ReminderPolicy | Mapping[str, Any] | None = None,
        per_plan: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.default = _validate(default or {}, "默认提醒策略")
        self._per_plan = {
            plan_id: _validate(
                {**self.default.model_dump(), **dict(override)}, f"方案 {plan_id} 的提醒策略"
            )
            for plan_id, override in (per_plan or {}).items()
        }

    def for_plan(self, plan_id: str) -> ReminderPolicy:
        return self._per_plan.get(plan_id, self.default)


def _validate(value: ReminderPolicy | Mapping[str, Any], what: str) -> ReminderPolicy:
    if isinstance(value, ReminderPolicy):
        return value
    try:
        return ReminderPolicy.model_validate(dict(value))
    except ValidationError as exc:
        problems = "；".join(
            f"{'.'.join(str(p) for p in e['loc']) or '策略'}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyError(f"{what}无效：{problems}") from None
    except TypeError:
        raise PolicyError(f"{what}必须是 JSON 对象") from None
