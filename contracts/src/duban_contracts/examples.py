"""One valid example of every message type: used by docs and round-trip tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from duban_contracts import commands as c
from duban_contracts import events as e
from duban_contracts.base import Message
from duban_contracts.vocabulary import (
    Channel,
    Decision,
    EscalationLevel,
    JurisdictionLevel,
    ReminderKind,
    Role,
    TaskStatus,
)

_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_DUE = date(2026, 3, 6)
_DEPTS = ("gd-hrss", "gd-edu")


def examples() -> list[Message]:
    t = "task-0001"
    return [
        e.TaskRegistered(
            task_id=t,
            plan_id="plan-gd-2021",
            plan_title="关于加强劳务品牌建设的行动方案",
            measure_id="m-1",
            title="开展劳务品牌调查摸底",
            lead_department_ids=("gd-hrss",),
            supporting_department_ids=("gd-edu",),
            due_on=_DUE,
        ),
        e.TaskDispatched(task_id=t, due_on=_DUE, actor_id="u-sup", department_ids=_DEPTS),
        e.TaskAcknowledged(task_id=t, department_id="gd-hrss", actor_id="u-1"),
        e.TaskDecomposed(task_id=t, child_task_ids=("task-0002", "task-0003")),
        e.TaskStatusChanged(
            task_id=t, from_status=TaskStatus.ACKNOWLEDGED, to_status=TaskStatus.IN_PROGRESS
        ),
        e.ProgressReported(
            task_id=t,
            report_id="r-1",
            department_id="gd-hrss",
            percent=40,
            period="2026-03",
            done_work="完成全省摸底",
            next_steps="形成培育名录",
            problems="",
            coordination_needed="",
            indicator_values=(e.IndicatorValue(indicator_id="ind-1", value=12),),
            milestones_done=("ms-1",),
        ),
        e.TaskMilestonesSet(
            task_id=t,
            milestones=(
                e.Milestone(
                    key="ms-1", due_on=date(2023, 12, 31), text="20%以上的旗县拥有劳务品牌"
                ),
            ),
        ),
        e.DueDateChanged(
            task_id=t, original_due_on=_DUE, previous_due_on=_DUE, due_on=date(2026, 4, 30)
        ),
        e.ExtensionRequested(
            task_id=t,
            request_id="x-1",
            requested_due_on=date(2026, 4, 30),
            reason="数据核实",
            department_ids=("gd-hrss",),
        ),
        e.ExtensionDecided(
            task_id=t,
            request_id="x-1",
            decision=Decision.APPROVED,
            due_on=date(2026, 4, 30),
            comment="同意延期至4月底，请加快进度",
            department_ids=("gd-hrss",),
        ),
        e.CompletionRequested(
            task_id=t,
            request_id="c-1",
            summary="已完成",
            evidence=("att-1.pdf",),
            department_ids=("gd-hrss",),
        ),
        e.CompletionDecided(
            task_id=t,
            request_id="c-1",
            decision=Decision.REJECTED,
            comment="佐证不足",
            department_ids=("gd-hrss",),
        ),
        e.TaskClosed(task_id=t, actor_id="u-sup", department_ids=("gd-hrss",)),
        e.SupervisionNoticeIssued(
            task_id=t,
            notice_id="n-1",
            department_id="gd-hrss",
            level=EscalationLevel.ORANGE,
            requirements="三个工作日内书面说明",
            reply_due_on=date(2026, 3, 11),
        ),
        e.SupervisionNoticeAnswered(
            task_id=t, notice_id="n-1", department_id="gd-hrss", answer="已部署整改"
        ),
        e.ReminderDue(
            task_id=t,
            task_title="开展劳务品牌调查摸底",
            plan_id="plan-gd-2021",
            kind=ReminderKind.BEFORE_DUE,
            due_on=_DUE,
            working_days_left=3,
            department_ids=_DEPTS,
            scheduled_for=_AT,
            dedupe_key=f"{t}:before_due:3:2026-03-06",
        ),
        e.TaskOverdue(
            task_id=t,
            task_title="开展劳务品牌调查摸底",
            plan_id="plan-gd-2021",
            due_on=_DUE,
            working_days_late=2,
            department_ids=_DEPTS,
            scheduled_for=_AT,
            dedupe_key=f"{t}:overdue:2:2026-03-06",
        ),
        e.EscalationRaised(
            task_id=t,
            task_title="开展劳务品牌调查摸底",
            plan_id="plan-gd-2021",
            level=EscalationLevel.RED,
            due_on=_DUE,
            working_days_late=10,
            department_ids=_DEPTS,
            lead_department_ids=("gd-hrss",),
            reason="逾期10个工作日",
            scheduled_for=_AT,
            late=True,
            dedupe_key=f"{t}:escalation:red:2026-03-06",
        ),
        e.ReportRequested(
            department_id="gd-hrss",
            period="2026-03",
            report_due_on=date(2026, 3, 28),
            open_task_ids=(t,),
            scheduled_for=_AT,
            dedupe_key="gd-hrss:report:2026-03",
        ),
        e.ReportMissing(
            department_id="gd-hrss",
            period="2026-03",
            report_due_on=date(2026, 3, 28),
            consecutive_misses=2,
            escalation_level=EscalationLevel.ORANGE,
            scheduled_for=_AT,
            dedupe_key="gd-hrss:report-missing:2026-03",
        ),
        e.NotificationSent(
            key=t,
            notification_id="nt-1",
            source_event_ids=("01a200e7-b053-79f9-bb22-77b84b6cfc42",),
            task_ids=(t,),
            recipient_id="u-1",
            channel=Channel.EMAIL,
            attempt=1,
            at=_AT,
            subject="【督办提醒】开展劳务品牌调查摸底 还有3个工作日到期",
        ),
        e.NotificationFailed(
            key=t,
            notification_id="nt-2",
            source_event_ids=("01a200e7-b053-79f9-bb22-77b84b6cfc42",),
            task_ids=(t,),
            recipient_id="u-1",
            channel=Channel.DINGTALK,
            attempt=5,
            at=_AT,
            error="HTTP 500",
            final=True,
        ),
        e.DepartmentUpserted(
            department_id="gd-hrss",
            name="广东省人力资源和社会保障厅",
            jurisdiction="广东省",
            level=JurisdictionLevel.PROVINCE,
        ),
        e.DepartmentRemoved(department_id="gd-old"),
        e.UserUpserted(
            user_id="u-1",
            display_name="人社厅联络员",
            role=Role.LIAISON,
            department_id="gd-hrss",
            email="liaison@example.org",
            channels=(Channel.EMAIL, Channel.INBOX),
        ),
        e.UserRemoved(user_id="u-9"),
        e.PlanLinkChanged(plan_id="plan-nm-2022", superior_plan_id="plan-cn-66", actor_id="u-sup"),
        e.MeasureLinkChanged(
            plan_id="plan-nm-2022",
            measure_id="msr-nm-3",
            superior_plan_id="plan-cn-66",
            superior_measure_id="msr-cn-2",
            status="confirmed",
            score=0.42,
            actor_id="u-sup",
        ),
        c.SendManualReminder(
            task_id=t,
            task_title="开展劳务品牌调查摸底",
            department_ids=_DEPTS,
            message="请于本周内报送进展",
            requested_by="u-sup",
        ),
        c.RequestMonthlyReports(period="2026-03", requested_by="u-sup"),
        c.SendReportReminder(
            department_id=_DEPTS[0],
            period="2026-02",
            report_due_on=date(2026, 2, 28),
            consecutive_misses=2,
            requested_by="u-sup",
        ),
    ]
