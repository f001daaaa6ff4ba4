"""Domain rules: lifecycle, light, decomposition and roll-up, extensions, authorization, audit hash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from duban_contracts.vocabulary import (
    Decision,
    EscalationLevel,
    JurisdictionLevel,
    Light,
    Role,
    TaskStatus,
)
from task_ledger.adapters.audit import GENESIS, record_hash
from task_ledger.domain import authz, lifecycle
from task_ledger.domain.errors import DomainError, InvalidTransition
from task_ledger.domain.light import is_overdue, light
from task_ledger.domain.model import (
    CompletionRequest,
    Department,
    ExtensionRequest,
    SupervisionNotice,
    Task,
    User,
)

pytestmark = pytest.mark.unit
S = TaskStatus
TODAY = date(2026, 3, 10)


def make_task(**kw: object) -> Task:
    values: dict[str, object] = {
        "id": "task-1",
        "plan_id": "plan-1",
        "measure_id": "m-1",
        "title": "任务",
        "lead_department_ids": ("dep-lead",),
        "supporting_department_ids": ("dep-support",),
    }
    values.update(kw)
    return Task(**values)  # type: ignore[arg-type]


def test_the_whole_lifecycle_in_order() -> None:
    task = make_task(due_on=date(2026, 6, 30))
    lifecycle.dispatch(task, TODAY)
    assert (task.status, task.start_on) == (S.DISPATCHED, TODAY)
    for to in (S.ACKNOWLEDGED, S.IN_PROGRESS, S.COMPLETION_REQUESTED):
        lifecycle.transition(task, to)
    request = CompletionRequest("c1", task.id, "u", "办完了")
    lifecycle.decide_completion(task, request, Decision.APPROVED, None)
    assert (task.status, task.progress, request.decision) == (S.COMPLETED, 100, Decision.APPROVED)
    lifecycle.transition(task, S.CLOSED)
    assert task.status == S.CLOSED


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.DRAFT, S.ACKNOWLEDGED),
        (S.DISPATCHED, S.COMPLETED),
        (S.IN_PROGRESS, S.CLOSED),
        (S.CLOSED, S.IN_PROGRESS),
        (S.COMPLETED, S.RETURNED),
    ],
)
def test_invalid_transitions_are_refused_with_a_chinese_reason(start: S, to: S) -> None:
    task = make_task(status=start)
    with pytest.raises(
        InvalidTransition, match=f"任务当前状态为“{start.label}”，不能变更为“{to.label}”"
    ):
        lifecycle.transition(task, to)
    assert task.status == start


def test_returned_completion_needs_a_reason_and_goes_back_to_work() -> None:
    task = make_task(status=S.COMPLETION_REQUESTED)
    request = CompletionRequest("c1", task.id, "u", "办完了")
    with pytest.raises(DomainError, match="退回须说明理由"):
        lifecycle.decide_completion(task, request, Decision.REJECTED, " ")
    lifecycle.decide_completion(task, request, Decision.REJECTED, "证据不足")
    assert task.status == S.RETURNED
    with pytest.raises(DomainError, match="已经审核过"):
        lifecycle.decide_completion(task, request, Decision.APPROVED, None)
    lifecycle.transition(task, S.IN_PROGRESS)
    assert task.status == S.IN_PROGRESS


def test_progress_report_starts_an_acknowledged_task_and_only_lead_sets_percent() -> None:
    task = make_task(status=S.ACKNOWLEDGED)
    assert lifecycle.record_progress(task, 30, from_lead=False) == S.ACKNOWLEDGED
    assert (task.status, task.progress) == (S.IN_PROGRESS, 0)
    lifecycle.record_progress(task, 40, from_lead=True)
    assert task.progress == 40
    with pytest.raises(DomainError, match="不能填报进展"):
        lifecycle.record_progress(make_task(status=S.DRAFT), 10, from_lead=True)


@pytest.mark.parametrize(
    ("status", "due", "start", "progress", "expected"),
    [
        (S.IN_PROGRESS, date(2026, 12, 31), date(2026, 1, 1), 50, Light.GREEN),
        (S.IN_PROGRESS, date(2026, 3, 13), date(2026, 1, 1), 100, Light.YELLOW),  # 3 days left
        (S.IN_PROGRESS, date(2026, 3, 14), date(2026, 1, 1), 99, Light.GREEN),  # 4 days left
        (S.IN_PROGRESS, date(2026, 5, 19), date(2026, 1, 1), 10, Light.YELLOW),  # lags: 50 % time
        (S.IN_PROGRESS, date(2026, 3, 9), date(2026, 1, 1), 90, Light.RED),  # overdue
        (S.COMPLETED, date(2026, 3, 9), date(2026, 1, 1), 100, Light.GREEN),
        (S.DRAFT, None, None, 0, Light.GREEN),
    ],
)
def test_light(
    status: S, due: date | None, start: date | None, progress: int, expected: Light
) -> None:
    task = make_task(status=status, due_on=due, start_on=start, progress=progress)
    assert light(task, TODAY) == expected


def test_light_warning_window_is_configurable_and_overdue_is_open_only() -> None:
    task = make_task(status=S.IN_PROGRESS, due_on=date(2026, 3, 17), progress=100)
    assert light(task, TODAY, warning_days=3) == Light.GREEN
    assert light(task, TODAY, warning_days=7) == Light.YELLOW
    assert is_overdue(make_task(status=S.IN_PROGRESS, due_on=date(2026, 3, 9)), TODAY)
    assert not is_overdue(make_task(status=S.CLOSED, due_on=date(2026, 3, 9)), TODAY)


PROVINCE = Department("dep-lead", "省人社厅", "广东省", JurisdictionLevel.PROVINCE)
CITY = Department("dep-city", "广州市人社局", "广州市", JurisdictionLevel.CITY)
OTHER_PROVINCE = Department("dep-p2", "省教育厅", "广东省", JurisdictionLevel.PROVINCE)


def test_decomposition_goes_down_and_never_past_the_parent_due_date() -> None:
    parent = make_task(status=S.ACKNOWLEDGED, due_on=date(2026, 6, 30))
    lifecycle.check_decomposition(parent, [PROVINCE], [([CITY], date(2026, 6, 1))])
    with pytest.raises(DomainError, match="不是下级行政区域的单位"):
        lifecycle.check_decomposition(parent, [PROVINCE], [([OTHER_PROVINCE], date(2026, 6, 1))])
    with pytest.raises(DomainError, match="不能晚于上级任务"):
        lifecycle.check_decomposition(parent, [PROVINCE], [([CITY], date(2026, 7, 1))])
    with pytest.raises(DomainError, match="不能分解"):
        lifecycle.check_decomposition(make_task(status=S.DRAFT), [PROVINCE], [([CITY], None)])


def test_roll_up_averages_children_and_starts_the_parent() -> None:
    parent = make_task(status=S.ACKNOWLEDGED)
    children = [
        make_task(id="c1", status=S.IN_PROGRESS, progress=40),
        make_task(id="c2", status=S.COMPLETED, progress=70),  # completed counts as 100
        make_task(id="c3", status=S.DISPATCHED, progress=0),
    ]
    assert lifecycle.roll_up(parent, children) == S.ACKNOWLEDGED
    assert (parent.status, parent.progress) == (S.IN_PROGRESS, 47)
    with pytest.raises(DomainError, match="还有 2 项下级任务尚未办结"):
        lifecycle.request_completion(parent, children, "汇总")


def test_extension_rules_and_the_original_date_is_kept() -> None:
    task = make_task(status=S.IN_PROGRESS, due_on=date(2026, 3, 31), original_due_on=None)
    lifecycle.check_extension_request(task, date(2026, 4, 30), "受疫情影响", TODAY, pending=False)
    with pytest.raises(DomainError, match="已逾期"):
        lifecycle.check_extension_request(task, date(2026, 4, 30), "理由", date(2026, 4, 1), False)
    with pytest.raises(DomainError, match="须晚于当前完成时限"):
        lifecycle.check_extension_request(task, date(2026, 3, 1), "理由", TODAY, False)
    with pytest.raises(DomainError, match="待审核的延期申请"):
        lifecycle.check_extension_request(task, date(2026, 4, 30), "理由", TODAY, True)
    request = ExtensionRequest("e1", task.id, "u", date(2026, 4, 30), task.due_on, "理由")
    assert lifecycle.decide_extension(task, request, Decision.APPROVED, None) == date(2026, 3, 31)
    assert (task.due_on, task.original_due_on) == (date(2026, 4, 30), date(2026, 3, 31))
    rejected = ExtensionRequest("e2", task.id, "u", date(2026, 5, 30), task.due_on, "理由")
    with pytest.raises(DomainError, match="须说明理由"):
        lifecycle.decide_extension(task, rejected, Decision.REJECTED, None)


def test_notices_go_to_task_departments_and_are_answered_once() -> None:
    task = make_task(status=S.IN_PROGRESS)
    with pytest.raises(DomainError, match="牵头或配合单位"):
        lifecycle.check_notice(task, "dep-elsewhere", TODAY, TODAY)
    notice = SupervisionNotice(
        "n1", task.id, "dep-lead", EscalationLevel.ORANGE, "要求", TODAY, "s"
    )
    lifecycle.answer_notice(notice, "已整改")
    with pytest.raises(DomainError, match="已经回复"):
        lifecycle.answer_notice(notice, "再答")
    assert lifecycle.raise_escalation(task, EscalationLevel.ORANGE)
    assert not lifecycle.raise_escalation(task, EscalationLevel.BLUE)
    assert task.escalation_level == EscalationLevel.ORANGE


def test_authorization_by_department_and_role() -> None:
    task = make_task()
    lead = User("u1", "a", "牵头联络员", Role.LIAISON, "dep-lead")
    support = User("u2", "b", "配合联络员", Role.LIAISON, "dep-support")
    stranger = User("u3", "c", "他人", Role.LIAISON, "dep-other")
    supervisor = User("u4", "s", "督查", Role.SUPERVISOR)
    assert authz.can_view_task(lead, task) and authz.can_view_task(support, task)
    assert not authz.can_view_task(stranger, task)
    assert authz.can_report(support, task) and not authz.can_report(supervisor, task)
    assert authz.is_lead_liaison(lead, task) and not authz.is_lead_liaison(support, task)
    assert authz.is_decider(supervisor) and not authz.is_decider(lead)
    assert authz.visible_department(stranger) == "dep-other"
    assert authz.visible_department(supervisor) is None
    lead.active = False
    assert not authz.can_view_task(lead, task)


def test_audit_hash_covers_content_and_previous_hash() -> None:
    record = {
        "seq": 1,
        "at": datetime(2026, 3, 10, tzinfo=UTC),
        "actor_id": "u",
        "action": "task.dispatch",
        "entity": "task",
        "entity_id": "t",
        "before": {"status": "draft"},
        "after": {"status": "dispatched"},
    }
    first = record_hash(record, GENESIS)
    assert first == record_hash(dict(record), GENESIS)
    assert first != record_hash({**record, "after": {"status": "closed"}}, GENESIS)
    assert first != record_hash(record, "1" * 64)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("kind", "days", "late", "expected"),
    [
        ("before_due", 3, False, "到期提醒：距完成时限（2025-12-31）还有 3 个工作日"),
        ("due_today", 0, False, "到期提醒：今日（2025-12-31）为完成时限"),
        ("before_due", -2, True, "到期提醒：完成时限为 2025-12-31（补发）"),
        ("report_deadline", 2, False, "月度进展报送提醒：请于 2025-12-31 前报送本月进展"),
    ],
)
def test_reminder_summaries_say_what_is_due(
    kind: str, days: int, late: bool, expected: str
) -> None:

    from duban_contracts.events import ReminderDue
    from duban_contracts.vocabulary import ReminderKind
    from task_ledger.service_layer.inbound import reminder_summary

    message = ReminderDue(
        task_id="t1",
        task_title="任务",
        plan_id="p1",
        kind=ReminderKind(kind),
        due_on=date(2025, 12, 31),
        working_days_left=days,
        department_ids=("d1",),
        scheduled_for=datetime(2025, 12, 26, 1, tzinfo=UTC),
        late=late,
        dedupe_key="k",
    )
    assert reminder_summary(message) == expected
