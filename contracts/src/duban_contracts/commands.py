"""Commands between services. Imperative; exactly one service handles each."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from duban_contracts.base import Command
from duban_contracts.events import Id, ShortText, Text
from duban_contracts.topics import COMMANDS
from duban_contracts.vocabulary import EscalationLevel


class SendManualReminder(Command):
    """A supervisor presses 催办 on a task: the notifier delivers it now (ledger → notifier)."""

    TOPIC: ClassVar[str] = COMMANDS.name
    EVENT_TYPE: ClassVar[str] = "command.send_manual_reminder"
    task_id: Id
    task_title: ShortText
    department_ids: tuple[Id, ...] = Field(min_length=1)
    message: Text
    level: EscalationLevel | None = None
    requested_by: Id


class RequestMonthlyReports(Command):
    """Run the monthly dispatch for a period now, outside the calendar (ledger → watcher)."""

    TOPIC: ClassVar[str] = COMMANDS.name
    EVENT_TYPE: ClassVar[str] = "command.request_monthly_reports"
    KEY_FIELD: ClassVar[str] = "period"
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]
    requested_by: Id


class SendReportReminder(Command):
    """A supervisor presses 催报 beside a department missing its monthly progress report
    (月度进展缺报): the notifier reminds the department's liaisons now (ledger → notifier)."""

    TOPIC: ClassVar[str] = COMMANDS.name
    EVENT_TYPE: ClassVar[str] = "command.send_report_reminder"
    KEY_FIELD: ClassVar[str] = "department_id"
    department_id: Id
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]
    report_due_on: date
    consecutive_misses: int = Field(default=1, ge=1)
    requested_by: Id
