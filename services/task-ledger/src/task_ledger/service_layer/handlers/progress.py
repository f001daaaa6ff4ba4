"""Progress reports (填报进展): the ledger's hot path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from duban_contracts import events as ev
from task_ledger.adapters import repository as repo
from task_ledger.domain import authz, lifecycle
from task_ledger.domain.indicators import check_values
from task_ledger.domain.model import Attachment, ProgressReport, User
from task_ledger.service_layer import milestones, rate_limits
from task_ledger.service_layer.handlers.frame import TaskCommand, command_in, new_id
from task_ledger.service_layer.uow import Ledger, Transaction


@dataclass(frozen=True)
class ReportInput:
    percent: int
    done_work: str = ""
    next_steps: str = ""
    problems: str = ""
    coordination_needed: str = ""
    period: str | None = None
    # indicator id → current value (量化指标), for the task's or its decomposed parent's indicators
    indicator_values: Mapping[str, float] = field(default_factory=dict)
    # keys of the task's milestones (时间节点) this report declares done
    milestones_done: tuple[str, ...] = ()


async def report_progress(
    ledger: Ledger,
    user: User,
    task_id: str,
    data: ReportInput,
    attachments: Sequence[Attachment] = (),
    *,
    count_write: bool = False,
) -> ProgressReport:
    """`count_write`: count the report against the user's write limit, in the report's own
    transaction (the API does; a caller that counted first, before storing files, does not).
    A re-runnable command: with the group-commit accelerator on, reports arriving together
    share a transaction (see service_layer/write_batches.py)."""

    async def command(tx: Transaction) -> ProgressReport:
        async with command_in(
            tx,
            user,
            task_id,
            action="report_progress",
            allowed=authz.can_report,
            refusal="只有牵头或配合单位的联络员可以填报进展",
            stored_as="task.progress",
        ) as c:
            if data.indicator_values:
                owner = await repo.indicator_owner(c.tx.conn, c.task)
                rows = await repo.indicator_rows(c.tx.conn, [owner])
                check_values({r.id for r in rows}, data.indicator_values)
            await milestones.check_done(
                c.tx.conn, c.task, data.milestones_done, data.done_work, len(attachments)
            )
            report = _record(c, data, attachments)
        # Counted last: a refused report writes nothing before its refusal, so in a shared
        # transaction it fails alone (over the limit, RateLimited rolls the count back too;
        # a write batch counts at its commit, see rate_limits).
        if count_write:
            await rate_limits.count_in(tx, ledger.settings, user, "progress_report")
        return report

    return await ledger.write(command, task_id=task_id)


def _record(c: TaskCommand, data: ReportInput, attachments: Sequence[Attachment]) -> ProgressReport:
    user, task = c.user, c.task
    assert user.department_id is not None
    from_lead = task.role_of(user.department_id) == "lead"
    previous = lifecycle.record_progress(task, data.percent, from_lead=from_lead)
    period = data.period or c.tx.today.strftime("%Y-%m")
    report = ProgressReport(
        id=new_id("rpt"),
        task_id=task.id,
        department_id=user.department_id,
        author_id=user.id,
        percent=data.percent,
        done_work=data.done_work,
        next_steps=data.next_steps,
        problems=data.problems,
        coordination_needed=data.coordination_needed,
        period=period,
        attachments=tuple(attachments),
    )
    c.tx.defer(*repo.report_writes(report, c.tx.now))
    values = dict(data.indicator_values)
    c.tx.defer(*repo.value_writes(task.id, report.id, user.department_id, values, c.tx.now))
    done = tuple(dict.fromkeys(data.milestones_done))
    c.tx.defer(*repo.milestone_done_writes(task.id, report.id, done, c.tx.now))
    c.emit(
        ev.ProgressReported(
            task_id=task.id,
            actor_id=user.id,
            report_id=report.id,
            department_id=user.department_id,
            percent=data.percent,
            period=period,
            done_work=data.done_work,
            next_steps=data.next_steps,
            problems=data.problems,
            coordination_needed=data.coordination_needed,
            indicator_values=tuple(
                ev.IndicatorValue(indicator_id=k, value=v) for k, v in values.items()
            ),
            milestones_done=done,
        )
    )
    if previous is not None:
        c.status_changed(previous, "已填报进展")
    c.timeline(
        "progress",
        f"填报进展 {data.percent}%",
        report_id=report.id,
        department_id=user.department_id,
        attachments=len(attachments),
        indicator_values=values,
        milestones_done=list(done),
    )
    c.audit(
        "progress.report",
        "progress_report",
        report.id,
        {"task_id": task.id, "percent": data.percent, "period": period, "indicators": values},
    )
    return report
