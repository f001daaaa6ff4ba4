"""Pure rules: who is told, on which channels, when, how often, and what the message says."""

from __future__ import annotations

from datetime import time

import pytest
from notifier_testkit import at

from duban_contracts import commands as c
from duban_contracts import events as e
from duban_contracts.examples import examples
from duban_contracts.vocabulary import Channel, EscalationLevel, Role
from notifier.adapters.channels import dingtalk_signature, split_secret
from notifier.adapters.render import Renderer
from notifier.adapters.store import Item, dedupe_key
from notifier.domain.digest import DigestLine, build_digest
from notifier.domain.model import Kind, Recipient
from notifier.domain.notices import escalation_audience, named_facts, notice_for
from notifier.domain.policies import channels_for, quiet_until, retry_delay
from notifier.settings import Settings

pytestmark = pytest.mark.unit

DEPTS = ("d-hrss", "d-edu")
PEOPLE = [
    Recipient("liaison-hrss", "人社联络员", Role.LIAISON, "d-hrss"),
    Recipient("liaison-edu", "教育联络员", Role.LIAISON, "d-edu"),
    Recipient("liaison-other", "他厅联络员", Role.LIAISON, "d-other"),
    Recipient("head-hrss", "人社负责人", Role.DEPARTMENT_HEAD, "d-hrss"),
    Recipient("head-other", "他厅负责人", Role.DEPARTMENT_HEAD, "d-other"),
    Recipient("sup", "督查室", Role.SUPERVISOR),
    Recipient("lead", "领导小组", Role.LEADERSHIP),
    Recipient("lead-gone", "已离任", Role.LEADERSHIP, active=False),
]


def told(level: EscalationLevel) -> list[str]:
    audience = escalation_audience(level, DEPTS)
    return [p.user_id for p in PEOPLE if audience.includes(p)]


def test_escalation_ladder_reaches_the_right_people() -> None:
    assert told(EscalationLevel.BLUE) == ["liaison-hrss", "liaison-edu"]
    assert told(EscalationLevel.ORANGE) == ["head-hrss", "sup"]
    assert told(EscalationLevel.RED) == ["sup", "lead"]


@pytest.mark.parametrize("message", examples(), ids=lambda m: m.EVENT_TYPE)
def test_every_deliverable_example_renders_in_chinese(message: e.Event) -> None:
    notice = notice_for(message, "01a200e7-b053-79f9-bb22-77b84b6cfc42")
    deliverable = {
        e.ReminderDue,
        e.TaskOverdue,
        e.EscalationRaised,
        e.ReportRequested,
        e.ReportMissing,
        e.SupervisionNoticeIssued,
        e.SupervisionNoticeAnswered,
        c.SendManualReminder,
    }
    assert (notice is not None) == (type(message) in deliverable)
    if notice is None:
        return
    facts = named_facts(
        notice.facts, notice.task_id, {"task-0001": "开展劳务品牌调查摸底"}, {"gd-hrss": "省人社厅"}
    )
    item = Item(notice.source_event_id, notice.kind, notice.task_id, facts)
    rendered = Renderer("https://duban.example.gov.cn/").render(PEOPLE[0], [item])
    assert rendered.subject.startswith("【") and "人社联络员，您好" in rendered.body
    assert "{{" not in rendered.body and "None" not in rendered.body
    if notice.task_id:
        assert "开展劳务品牌调查摸底" in rendered.subject
        assert rendered.link == "https://duban.example.gov.cn/tasks/task-0001"
    # Escalations, notices, manual 催办 and escalated missing reports are never held.
    held = {Kind.REMINDER, Kind.OVERDUE, Kind.REPORT_REQUESTED}
    assert notice.urgent == (notice.kind not in held)


def test_overdue_reminder_kind_goes_to_the_overdue_group() -> None:
    lines = [
        DigestLine(Kind.REMINDER, "t1", {"working_days_left": 0, "due_on": "2026-03-02"}),
        DigestLine(Kind.REMINDER, "t2", {"working_days_left": 5, "due_on": "2026-03-09"}),
        DigestLine(Kind.REMINDER, "t3", {"working_days_left": 2, "due_on": "2026-03-04"}),
        DigestLine(Kind.OVERDUE, "t4", {"working_days_late": 1, "due_on": "2026-02-27"}),
        DigestLine(Kind.OVERDUE, "t3", {"working_days_late": 1, "due_on": "2026-03-04"}),
    ]
    digest = build_digest(lines)
    assert [x.task_id for x in digest.due_today] == ["t1"]
    assert [x.task_id for x in digest.due_soon] == ["t2"]  # t3 has since gone overdue
    assert [x.task_id for x in digest.overdue] == ["t4", "t3"]
    assert digest.soon_days == 5 and digest.total == 4


def test_channels_follow_the_person_the_kind_and_the_addresses() -> None:
    p = Recipient(
        "u",
        "张三",
        Role.LIAISON,
        "d",
        email="z@example.org",
        channels=(Channel.EMAIL, Channel.WECOM, Channel.DINGTALK, Channel.INBOX),
        dingtalk_webhook="https://oapi.dingtalk.com/robot/send?access_token=x",
    )
    every = (Channel.EMAIL, Channel.WECOM, Channel.DINGTALK, Channel.INBOX)
    assert channels_for(p, every) == [Channel.EMAIL, Channel.DINGTALK, Channel.INBOX]
    assert channels_for(p, every, unaddressed_robots=True) == list(every)
    assert channels_for(p, (Channel.INBOX, Channel.EMAIL)) == [Channel.EMAIL, Channel.INBOX]
    settings = Settings(channels_by_kind={"reminder": ["inbox"]})
    assert settings.channels_for(Kind.REMINDER) == (Channel.INBOX,)
    assert Channel.EMAIL in settings.channels_for(Kind.ESCALATION)


def test_quiet_hours_are_china_time_and_may_span_midnight() -> None:
    start, end = time(22, 0), time(7, 30)
    assert quiet_until(at(21, 59), start, end) is None
    assert quiet_until(at(22, 0), start, end) == at(7, 30, day=3)
    assert quiet_until(at(3, 0, day=3), start, end) == at(7, 30, day=3)
    assert quiet_until(at(7, 30, day=3), start, end) is None
    assert quiet_until(at(12, 30), time(12), time(14)) == at(14)
    assert quiet_until(at(23), time(0), time(0)) is None


def test_retry_delay_grows_exponentially_is_capped_and_jittered() -> None:
    assert [retry_delay(n, 10, 1000, lambda: 0.5) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert retry_delay(20, 10, 300, lambda: 0.5) == 300
    assert (
        retry_delay(3, 10, 1000, lambda: 0.0) == 20 and retry_delay(3, 10, 1000, lambda: 1.0) == 60
    )


def test_dingtalk_signature_matches_the_documented_algorithm() -> None:
    # base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\n{secret}")), computed independently.
    expected = "ltBBey5eZrWKh1cPzFIdz3v3xpkc4Tjx4lLsPSHqdtA="
    assert dingtalk_signature("SEC000", 1_700_000_000_000) == expected
    base, secret = split_secret("https://oapi.dingtalk.com/robot/send?access_token=t&secret=SEC1")
    assert base == "https://oapi.dingtalk.com/robot/send?access_token=t" and secret == "SEC1"


def test_dedupe_key_is_per_source_recipient_and_channel() -> None:
    k = dedupe_key("task-1:overdue:2", "u-1", Channel.EMAIL)
    assert k == dedupe_key("task-1:overdue:2", "u-1", Channel.EMAIL)
    assert k != dedupe_key("task-1:overdue:2", "u-1", Channel.INBOX)
    assert k != dedupe_key("task-1:overdue:2", "u-2", Channel.EMAIL)
    assert k != dedupe_key("task-1:overdue:3", "u-1", Channel.EMAIL)


def test_build_broker_declares_what_the_notifier_reads_and_writes() -> None:
    from faststream.specification import AsyncAPI

    from notifier.entrypoints.messaging import INBOUND_TOPICS, build_broker

    spec = AsyncAPI(build_broker(Settings()), title="notifier", version="1").to_specification()
    channels = " ".join(spec.to_jsonable()["channels"])
    assert all(topic in channels for topic in INBOUND_TOPICS)
    assert "dispatch records" in channels and "dead letters" in channels


def test_a_milestones_notice_names_the_milestone_beside_the_task() -> None:
    base = next(m for m in examples() if isinstance(m, e.ReminderDue))
    milestone = base.model_copy(update={"milestone": "时间节点：建立劳务品牌台账"})
    notice = notice_for(milestone, "evt-ms")
    assert notice is not None
    assert notice.facts["task_title"] == f"{base.task_title}（时间节点：建立劳务品牌台账）"
    plain = notice_for(base, "evt-plain")
    assert plain is not None and plain.facts["task_title"] == base.task_title
