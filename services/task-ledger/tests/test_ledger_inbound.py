"""Watcher and notifier events into the ledger (one batch, both stores)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from ledger_helpers import Api
from sqlalchemy import select

from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel, EscalationLevel, ReminderKind
from task_ledger.adapters import tables as t
from task_ledger.service_layer import inbound

pytestmark = pytest.mark.integration
NOW = datetime(2025, 6, 3, 1, 0, tzinfo=UTC)


def wrap(message: ev.Event) -> tuple[Envelope, ev.Event]:
    envelope = Envelope.wrap(message, producer="deadline-watcher", occurred_at=NOW)
    return envelope, envelope.open()  # type: ignore[return-value]


async def test_every_inbound_kind_lands_once(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    task = (await api.client.get("/api/tasks", params={"page_size": 1}, headers=sup)).json()
    tid, dep = task["items"][0]["id"], task["items"][0]["lead_department_ids"][0]
    common = {
        "task_title": "任务",
        "plan_id": "plan-x",
        "department_ids": (dep,),
        "scheduled_for": NOW,
    }
    batch = [
        wrap(
            ev.ReminderDue(
                task_id=tid,
                kind=ReminderKind.DUE_TODAY,
                due_on=date(2025, 6, 3),
                working_days_left=0,
                dedupe_key="r1",
                **common,
            )
        ),
        wrap(
            ev.TaskOverdue(
                task_id=tid, due_on=date(2025, 6, 2), working_days_late=1, dedupe_key="o1", **common
            )
        ),
        wrap(
            ev.EscalationRaised(
                task_id=tid,
                level=EscalationLevel.ORANGE,
                due_on=date(2025, 6, 2),
                working_days_late=3,
                reason="逾期三日",
                dedupe_key="e1",
                **common,
            )
        ),
        wrap(
            ev.ReportRequested(
                department_id=dep,
                period="2025-06",
                report_due_on=date(2025, 6, 28),
                open_task_ids=(tid,),
                scheduled_for=NOW,
                dedupe_key="q1",
            )
        ),
        wrap(
            ev.ReportMissing(
                department_id=dep,
                period="2025-05",
                report_due_on=date(2025, 5, 28),
                consecutive_misses=2,
                escalation_level=EscalationLevel.BLUE,
                scheduled_for=NOW,
                dedupe_key="m1",
            )
        ),
        wrap(
            ev.NotificationFailed(
                key=tid,
                notification_id="n-9",
                source_event_ids=("x",),
                task_ids=(tid,),
                recipient_id="user-x",
                channel=Channel.EMAIL,
                attempt=3,
                at=NOW,
                error="mailbox full",
                final=True,
            )
        ),
    ]
    assert await inbound.handle_batch(api.ledger, batch) == len(batch)
    assert await inbound.handle_batch(api.ledger, batch) == 0  # redelivered: nothing changes

    timeline = (
        await api.client.get(f"/api/tasks/{tid}/timeline", params={"order": "oldest"}, headers=sup)
    ).json()
    inbound_kinds = [e["kind"] for e in timeline if e["data"].get("event_type")]
    assert inbound_kinds == [
        "reminder",
        "overdue",
        "escalation",
        "delivery_failed",
    ]
    escalation = next(e for e in timeline if e["kind"] == "escalation")
    assert escalation["summary"] == "升级督办（橙）：逾期三日"
    assert escalation["data"]["level"] == "orange"
    assert escalation["at"].startswith("2025-06-03T01:00:00")
    detail = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    assert detail["escalation_level"] == "orange"
    async with api.ledger.reading() as conn:
        monthly = (
            await conn.execute(select(t.monthly_reports).order_by(t.monthly_reports.c.period))
        ).all()
    assert [(m.period, m.missing, m.consecutive_misses) for m in monthly] == [
        ("2025-05", True, 2),
        ("2025-06", False, 0),
    ]


async def test_a_reminder_fired_at_0905_china_time_reads_0905_back(api: Api) -> None:
    """One time rule (issue #20): timers fire at a China wall-clock time; the ledger stores the
    moment as aware UTC and the API gives it back as the same moment (09:05 in Asia/Shanghai),
    whichever zone the event carried it in and on both stores."""
    from zoneinfo import ZoneInfo

    from task_ledger.entrypoints.web.common import local_time

    china = ZoneInfo("Asia/Shanghai")
    fired = datetime(2025, 6, 3, 9, 5, tzinfo=china)  # the watcher's FireTime.on(day)
    await api.import_seed()
    sup = await api.login("supervisor")
    task = (await api.client.get("/api/tasks", params={"page_size": 1}, headers=sup)).json()
    tid, dep = task["items"][0]["id"], task["items"][0]["lead_department_ids"][0]
    reminder = ev.ReminderDue(
        task_id=tid,
        task_title="任务",
        plan_id="plan-x",
        department_ids=(dep,),
        scheduled_for=fired,
        kind=ReminderKind.BEFORE_DUE,
        due_on=date(2025, 6, 6),
        working_days_left=3,
        dedupe_key="r-0905",
    )
    envelope = Envelope.wrap(reminder, producer="deadline-watcher", occurred_at=fired)
    await inbound.handle_batch(api.ledger, [(envelope, envelope.open())])

    timeline = (await api.client.get(f"/api/tasks/{tid}/timeline", headers=sup)).json()
    (entry,) = [e for e in timeline if e["kind"] == "reminder"]
    at = datetime.fromisoformat(entry["at"])
    assert at.tzinfo is not None and at == fired  # the same instant, not 8 hours off
    assert at.astimezone(china).strftime("%H:%M") == "09:05"
    assert local_time(at) == "2025-06-03 09:05"  # what the task page prints


def sent(
    task_ids: tuple[str, ...], source: str, user_id: str, channel: Channel, n: int
) -> tuple[Envelope, ev.Event]:
    return wrap(
        ev.NotificationSent(
            key=task_ids[0] if task_ids else user_id,
            notification_id=f"n-{source}-{n}",
            source_event_ids=(source,),
            task_ids=task_ids,
            recipient_id=user_id,
            channel=channel,
            attempt=1,
            at=NOW,
            subject="【督办提醒】您有2项任务需关注" if len(task_ids) > 1 else "【退回】任务",
            body="正文",
        )
    )


async def test_receipts_name_who_was_told_once_per_delivery_and_digests_stay_off_tasks(
    api: Api,
) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    items = (await api.client.get("/api/tasks", params={"page_size": 2}, headers=sup)).json()
    first, second = (i["id"] for i in items["items"])
    dep = items["items"][0]["lead_department_ids"][0]
    async with api.ledger.reading() as conn:
        users = (await conn.execute(select(t.users).order_by(t.users.c.id))).all()
        department = (
            await conn.execute(select(t.departments).where(t.departments.c.id == dep))
        ).one()
    liaison = next(u for u in users if u.department_id == dep and u.role == "liaison")
    supervisor = next(u for u in users if u.role == "supervisor")
    batch = [
        # One decision told to the lead liaison by mail and inbox, and to the supervisor.
        sent((first,), "decision-1", liaison.id, Channel.EMAIL, 1),
        sent((first,), "decision-1", liaison.id, Channel.INBOX, 2),
        sent((first,), "decision-1", supervisor.id, Channel.INBOX, 3),
        # A digest about both tasks, and the monthly 报送提醒 digest about none.
        sent((first, second), "digest-1", liaison.id, Channel.INBOX, 4),
        sent((), "monthly-1", liaison.id, Channel.INBOX, 5),
        wrap(
            ev.ReportRequested(
                department_id=dep,
                period="2025-06",
                report_due_on=date(2025, 6, 30),
                open_task_ids=(first, second),
                scheduled_for=NOW,
                dedupe_key="q-receipts",
            )
        ),
    ]
    assert await inbound.handle_batch(api.ledger, batch) == len(batch)
    assert await inbound.handle_batch(api.ledger, batch) == 0

    def timeline_of(task_id: str) -> list[dict]:  # type: ignore[type-arg]
        return [e for e in timelines[task_id] if e["data"].get("event_type")]

    timelines = {
        tid: (await api.client.get(f"/api/tasks/{tid}/timeline", headers=sup)).json()
        for tid in (first, second)
    }
    (receipt,) = timeline_of(first)
    assert receipt["kind"] == "delivered"
    assert receipt["summary"] == (
        f"已通知 {department.name}联络员 {liaison.display_name}（邮件、站内信）、"
        f"督查 {supervisor.display_name}（站内信）"
    )
    assert timeline_of(second) == []  # neither the digest nor the monthly request
    inbox = await api.client.get("/api/me/inbox", headers=await api.login(liaison.username))
    assert len(inbox.json()) == 3  # the inbox keeps every message, digests included
