"""The watcher's settings: environment variables `DUBAN_<FIELD>` (see the field names)."""

from __future__ import annotations

from datetime import time
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from deadline_watcher.domain.policy import PolicyBook
from duban_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "deadline-watcher"
    database_url: str = "sqlite:///./data/watcher.db"
    consumer_group: str = "deadline-watcher"
    http_port: int = Field(default=8001, ge=0, le=65535)
    http_host: str = "127.0.0.1"

    # When reminders go out: a local time of day on working days.
    timezone: str = "Asia/Shanghai"
    reminder_time: time = time(9, 0)
    # JSON override of the working-day calendar: {"working_days": [...], "days_off": [...]}.
    calendar_overrides_file: str | None = None
    # JSON: the default reminder policy (fields of ReminderPolicy; missing ones keep defaults)
    # and per-plan overrides {"plan-id": {"before_due": [10, 5, 1]}}.
    reminder_policy: dict[str, Any] = Field(default_factory=dict)
    plan_policies: dict[str, dict[str, Any]] = Field(default_factory=dict)

    # 月度调度: request reports on this day each month, due on that day, reminded N working
    # days before; repeated misses escalate to 橙 and 红.
    monthly_dispatch_day: int = Field(default=20, ge=1, le=31)
    report_due_day: int = Field(default=28, ge=1, le=31)
    report_reminder_before: int = Field(default=2, ge=0, le=20)
    report_misses_orange: int = Field(default=2, ge=1)
    report_misses_red: int = Field(default=3, ge=1)
    # A report requested outside the calendar after the period's due day gets this long.
    report_grace_working_days: int = Field(default=3, ge=1, le=30)

    # Scheduler: batch of timers fired per transaction, idle poll, what counts as late.
    scheduler_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Concurrent batches on PostgreSQL (SKIP LOCKED splits them); SQLite has one writer.
    scheduler_workers: int = Field(default=2, ge=1, le=16)
    scheduler_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    late_after_seconds: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> Self:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"DUBAN_TIMEZONE 不是有效的时区：{self.timezone}") from None
        if self.report_misses_red <= self.report_misses_orange:
            raise ValueError("DUBAN_REPORT_MISSES_RED 必须大于 DUBAN_REPORT_MISSES_ORANGE")
        self.policy_book()  # fail at start-up, not when the first timer is planned
        return self

    def policy_book(self) -> PolicyBook:
        return PolicyBook(self.reminder_policy, self.plan_policies)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
