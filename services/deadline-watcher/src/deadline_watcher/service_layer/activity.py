"""A consumed batch's plain progress reports, recorded together.

Progress reports are most of what the watcher consumes (every report of every liaison) and,
without milestones declared done, all they change is the month's report row and the task's
last activity: no timer moves and no event follows. Written one by one that was three
statements and a span per report, about a millisecond of the watcher's CPU each at 500
reports/s. Here a batch's run of them is two `executemany` statements and one lookup of the
tasks they name. Reports declaring milestones done, and every other event, go through their
handlers one at a time; the run collected so far is written before such an event is handled,
so the batch's order still holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeGuard

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters.tables import progress_reports, tasks
from deadline_watcher.service_layer import monthly
from deadline_watcher.service_layer.context import WatcherContext
from duban_common.db import dialect_insert, execute_rows
from duban_common.logging import get_logger
from duban_contracts import Envelope, Message
from duban_contracts.events import ProgressReported

log = get_logger(__name__)

# The task's last activity and the trace its next timers continue (the report's, unless the
# record carried none). Bound names differ from the columns', as an UPDATE's must.
_TOUCH = (
    update(tasks)
    .where(tasks.c.task_id == bindparam("b_task_id"))
    .values(
        updated_at=bindparam("b_now"),
        last_activity_at=bindparam("b_at"),
        traceparent=func.coalesce(bindparam("b_traceparent"), tasks.c.traceparent),
    )
)


def is_plain_report(message: Message) -> TypeGuard[ProgressReported]:
    """A progress report whose only effects are its report row and the task's last activity."""
    return isinstance(message, ProgressReported) and not message.milestones_done


@dataclass
class ReportRun:
    """Plain progress reports collected in batch order, written by `write`."""

    rows: list[dict[str, object]] = field(default_factory=list)
    # task id → (last activity, traceparent) of its latest report in the run
    touched: dict[str, tuple[datetime, str | None]] = field(default_factory=dict)

    def add(
        self,
        ctx: WatcherContext,
        envelope: Envelope,
        report: ProgressReported,
        traceparent: str | None,
    ) -> None:
        self.rows.append(
            {
                "task_id": report.task_id,
                "department_id": report.department_id,
                "period": monthly.report_period(report.period, envelope.occurred_at, ctx),
                "reported_at": envelope.occurred_at,
            }
        )
        self.touched.pop(report.task_id, None)  # re-inserted: dict order = order of last report
        self.touched[report.task_id] = (envelope.occurred_at, traceparent)

    async def write(self, conn: AsyncConnection, now: datetime) -> None:
        """Write what was collected (one statement per kind) and start a new run."""
        if not self.rows:
            return
        rows, touched = self.rows, self.touched
        self.rows, self.touched = [], {}
        insert = dialect_insert(conn, progress_reports).on_conflict_do_nothing()
        await execute_rows(conn, insert, rows)
        known = set(
            (
                await conn.execute(
                    select(tasks.c.task_id).where(tasks.c.task_id.in_(list(touched)))
                )
            ).scalars()
        )
        for task_id in touched.keys() - known:
            log.warning("unknown_task", task_id=task_id, change=["last_activity_at"])
        await execute_rows(
            conn,
            _TOUCH,
            [
                {"b_task_id": task_id, "b_now": now, "b_at": at, "b_traceparent": traceparent}
                for task_id, (at, traceparent) in touched.items()
                if task_id in known
            ],
        )
