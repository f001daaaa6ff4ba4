"""What the watcher tells reaches the pages (Chromium): escalations, missing monthly reports,
reminders, and overdue tasks lit red on both homes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel, EscalationLevel
from task_ledger.service_layer import inbound

pytestmark = pytest.mark.e2e


def test_escalations_missing_reports_and_reminders_reach_the_pages(ledger_server, browsers) -> None:
    """Events of the deadline-watcher and the notifier, through the ledger's inbound handler
    (what its Kafka consumer calls), show up on both homes, the inbox and the timeline."""
    task = ledger_server.fresh_task(to="in_progress", lead="广东省发展和改革委员会")
    lead_dep = task.lead_department_ids[0]
    liaison = ledger_server.liaison(lead_dep)
    now = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
    escalation = ev.EscalationRaised(
        task_id=task.id,
        task_title=task.title,
        plan_id=task.plan_id,
        level=EscalationLevel.ORANGE,
        due_on=date(2025, 5, 30),
        working_days_late=2,
        department_ids=(lead_dep,),
        reason="逾期 2 个工作日仍未办结",
        scheduled_for=now,
        dedupe_key=f"esc-{task.id}",
    )
    missing = ev.ReportMissing(
        department_id=lead_dep,
        period="2025-05",
        report_due_on=date(2025, 5, 28),
        consecutive_misses=2,
        scheduled_for=now,
        dedupe_key=f"miss-{lead_dep}",
    )
    escalation_env = Envelope.wrap(escalation, producer="deadline-watcher")
    sent = ev.NotificationSent(
        key=task.id,
        notification_id=f"ntf-{task.id}",
        source_event_ids=(str(escalation_env.event_id),),
        task_ids=(task.id,),
        recipient_id=liaison.id,
        channel=Channel.INBOX,
        attempt=1,
        at=now,
        subject="【督办提醒】任务已升级为橙色督办",
        body="请尽快办理并填报进展。",
    )
    batch = [
        (escalation_env, escalation),
        (Envelope.wrap(missing, producer="deadline-watcher"), missing),
        (Envelope.wrap(sent, producer="notifier"), sent),
    ]
    assert ledger_server.call(inbound.handle_batch(ledger_server.ledger, batch)) == 3

    sup = browsers.login("supervisor")
    expect(sup.locator("#escalations")).to_contain_text(task.title)
    expect(sup.locator("#escalations")).to_contain_text("升级督办（橙）：逾期 2 个工作日仍未办结")
    missing_row = sup.locator("#missing-reports tr", has_text="广东省发展和改革委员会")
    expect(missing_row).to_contain_text("2025-05")
    expect(missing_row.locator("td").nth(3)).to_have_text("2")

    page = browsers.login(liaison.username)
    expect(page.locator("#reminders")).to_contain_text("【督办提醒】任务已升级为橙色督办")
    expect(page.get_by_test_id("unread")).to_have_text("1")
    page.get_by_role("link", name="全部站内信").click()
    message = page.locator(".messages li", has_text="【督办提醒】任务已升级为橙色督办")
    expect(message).to_contain_text("请尽快办理并填报进展。")
    message.get_by_role("button", name="标记已读").click()
    expect(page.get_by_test_id("unread")).to_have_count(0)
    page.locator(".messages li").first.get_by_role("link", name="查看任务").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(task.title)
    expect(page.locator("#timeline")).to_contain_text("升级督办（橙）")
    expect(page.locator(".badges")).to_contain_text("已下发督办单")


def test_overdue_tasks_turn_red_on_both_homes(ledger_server, browsers) -> None:
    """The same light function as the API and the reports: past the due date, red."""
    task = ledger_server.fresh_task(to="in_progress", lead="广东省市场监督管理局")
    # Five calendar days late, two working days: 1-3 January are the New Year holiday and
    # Sunday 4 January is a 调休 working day.
    ledger_server.clock.set(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    try:
        sup = browsers.login("supervisor")
        overdue = sup.locator("#overdue tr", has_text=task.title)
        expect(overdue).to_contain_text("逾期 2 个工作日")
        expect(overdue).to_contain_text("红灯")
        dep_row = sup.locator("#by-department tr", has_text="广东省市场监督管理局")
        expect(dep_row.locator("td").nth(5)).not_to_have_text("0")  # red
        expect(dep_row.locator("td").nth(6)).not_to_have_text("0")  # overdue

        liaison = browsers.login(ledger_server.liaison_username(task.lead_department_ids[0]))
        expect(liaison.locator(".stat-red b")).not_to_have_text("0")
        row = liaison.locator(f'#my-tasks tr[data-task-id="{task.id}"]')
        expect(row).to_contain_text("红灯")
        liaison.goto(f"/tasks/{task.id}")
        expect(liaison.get_by_test_id("due")).to_contain_text("已逾期 2 个工作日")
        # An extension must be asked for before the deadline: the form is gone.
        expect(liaison.locator("#extension-form")).to_have_count(0)
    finally:
        ledger_server.clock.set(datetime(2025, 6, 2, 2, 0, tzinfo=UTC))
