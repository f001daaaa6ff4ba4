"""Pure rules: who is told, on which channels, when, how often, and what the message says."""

from __future__ import annotations

from datetime import date, time

import pytest
from notifier_testkit import at

from duban_contracts import commands as c
from duban_contracts import events as e
from duban_contracts.examples import examples
from duban_contracts.vocabulary import Channel, EscalationLevel, ReminderKind, Role
from notifier.adapters.channels import dingtalk_signature, split_secret
from notifier.adapters.render import Renderer
from notifier.adapters.store import Item, dedupe_key
from notifier.domain.digest import DigestLine, build_digest
from notifier.domain.model import Kind, Recipient
from notifier.domain.notices import escalation_audience, named_facts, notices_for
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
    assert told(EscalationLevel.ORANGE) == ["liaison-hrss", "liaison-edu", "head-hrss", "sup"]
    assert told(EscalationLevel.RED) == [
        "liaison-hrss",
        "liaison-edu",
        "head-hrss",
        "sup",
        "lead",
    ]


def _escalation(level: EscalationLevel) -> e.EscalationRaised:
    base = next(m for m in examples() if isinstance(m, e.EscalationRaised))
    return base.model_copy(update={"level": level, "lead_department_ids": ("d-hrss",)})


@pytest.mark.parametrize("level", list(EscalationLevel))
def test_the_ladder_reaches_the_lead_department_at_once_and_overseers_in_a_digest(
    level: EscalationLevel,
) -> None:
    notices = notices_for(_escalation(level), "evt-esc")
    at_once = [
        p.user_id for n in notices if not n.digested for p in PEOPLE if n.audience.includes(p)
    ]
    digested = [p.user_id for n in notices if n.digested for p in PEOPLE if n.audience.includes(p)]
    if level is EscalationLevel.BLUE:
        assert at_once == ["liaison-hrss"] and digested == []
    elif level is EscalationLevel.ORANGE:
        assert at_once == ["liaison-hrss", "head-hrss"] and digested == ["sup"]
    else:
        assert at_once == ["liaison-hrss", "head-hrss"] and digested == ["sup", "lead"]


def test_a_blue_warning_before_the_deadline_counts_the_days_left() -> None:
    warning = _escalation(EscalationLevel.BLUE).model_copy(
        update={"working_days_late": 0, "working_days_left": 3}
    )
    (notice,) = notices_for(warning, "evt-blue")
    facts = named_facts(notice.facts, notice.task_id, {}, {"d-hrss": "省人社厅"})
    item = Item(notice.source_event_id, notice.kind, notice.task_id, facts)
    rendered = Renderer("https://duban.example.gov.cn/").render(PEOPLE[0], [item])
    assert "距截止还有3个工作日" in rendered.subject
    assert "已逾期" not in rendered.subject + rendered.body


def test_a_supervisors_digest_lists_escalations_by_light() -> None:
    items = []
    for n, level in enumerate((EscalationLevel.ORANGE, EscalationLevel.RED)):
        esc = _escalation(level).model_copy(update={"task_id": f"task-{n}"})
        notice = notices_for(esc, f"evt-{n}")[-1]
        assert notice.digested
        facts = named_facts(notice.facts, notice.task_id, {}, {"d-hrss": "省人社厅"})
        items.append(Item(notice.source_event_id, notice.kind, notice.task_id, facts))
    rendered = Renderer("https://duban.example.gov.cn/").render(PEOPLE[5], items)
    assert rendered.subject.startswith(
        "【升级督办汇总】您有2项任务需关注（红色督办1项、橙色督办1项）"
    )
    assert rendered.body.index("红色督办") < rendered.body.index("橙色督办")


@pytest.mark.parametrize("message", examples(), ids=lambda m: m.EVENT_TYPE)
def test_every_deliverable_example_renders_in_chinese(message: e.Event) -> None:
    notices = notices_for(message, "01a200e7-b053-79f9-bb22-77b84b6cfc42")
    notice = notices[0] if notices else None
    deliverable = {
        e.TaskDispatched,
        e.CompletionRequested,
        e.CompletionDecided,
        e.ExtensionRequested,
        e.ExtensionDecided,
        e.TaskClosed,
        e.ReminderDue,
        e.TaskOverdue,
        e.EscalationRaised,
        e.ReportRequested,
        e.ReportMissing,
        e.SupervisionNoticeIssued,
        e.SupervisionNoticeAnswered,
        c.SendManualReminder,
        c.SendReportReminder,
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
    held = {Kind.REMINDER, Kind.OVERDUE, Kind.REPORT_REQUESTED, Kind.REQUEST, Kind.DISPATCHED}
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
    (notice,) = notices_for(milestone, "evt-ms")
    assert notice.facts["task_title"] == f"{base.task_title}（时间节点：建立劳务品牌台账）"
    (plain,) = notices_for(base, "evt-plain")
    assert plain.facts["task_title"] == base.task_title


def test_the_monthly_report_reminder_names_the_report_day_not_a_task_deadline() -> None:
    base = next(m for m in examples() if isinstance(m, e.ReminderDue))
    reports = [
        base.model_copy(
            update={"task_id": f"task-{n}", "kind": ReminderKind.REPORT_DEADLINE, "due_on": day}
        )
        for n, day in enumerate((date(2026, 1, 28), date(2026, 1, 28)))
    ]
    items = []
    for n, message in enumerate(reports):
        (notice,) = notices_for(message, f"evt-report-{n}")
        items.append(Item(notice.source_event_id, notice.kind, notice.task_id, notice.facts))
    renderer = Renderer("https://duban.example.gov.cn/")
    single = renderer.render(PEOPLE[0], items[:1])
    assert single.subject.startswith("【报送提醒】") and "报送截止日为 2026年1月28日" in single.text
    assert "完成时限" not in single.text
    digest = renderer.render(PEOPLE[0], items)
    assert "月度进展待报送（2项）" in digest.text and "完成时限" not in digest.text
