"""A plan's 时间节点 on the whole system (issue 23), started like `make run` on the embedded
broker with the shared clock set to 2023-12-01: the Inner Mongolia seed's measure 10 has a
milestone due 2023-12-31 (20%以上的农牧业旗县市拥有劳务品牌). The deadline-watcher schedules
it, reminds before it and escalates after it (the ledger's timeline says which milestone); the
2025 milestone, closed early by a progress report with its evidence, has nothing left planned;
the milestone left open turns the task red with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from e2e.e2e_system import launched_at, liaison_username, peek

from duban.first_start import LedgerClient
from duban.launcher import SystemLauncher
from duban_common.clock import CHINA, FileClock
from duban_common.testing.polling import wait_until

pytestmark = pytest.mark.e2e

START = datetime(2023, 12, 1, 9, 30, tzinfo=CHINA)
ON_THE_DAY = datetime(2023, 12, 29, 10, 0, tzinfo=CHINA)  # the last working day before it
AFTER = datetime(2024, 1, 25, 10, 0, tzinfo=CHINA)
MILESTONE_2023 = "20%以上的农牧业旗县市"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemLauncher]:
    yield from launched_at(tmp_path_factory, "duban-milestones", START)


def _client(system: SystemLauncher, username: str, password: str) -> LedgerClient:
    client = LedgerClient(system.url("task-ledger"))
    client.login(username, password)
    return client


def _timers(
    system: SystemLauncher, task_id: str, milestone: str, due_on: str | None = None
) -> list[tuple[str, bool]]:
    """Peek (read-only) into the watcher's store: the milestone's timers (kind, fired), those
    for `due_on` only when given."""
    query = "SELECT kind, fired_at IS NOT NULL FROM timers WHERE task_id = ? AND milestone = ?"
    args = [task_id, milestone]
    if due_on is not None:
        query, args = query + " AND due_on = ?", [*args, due_on]
    return [(kind, bool(fired)) for kind, fired in peek(system, "watcher.db", query, *args)]


def _form(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    boundary = "m1lestone"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), boundary


def test_a_milestone_is_reminded_escalated_or_closed(system: SystemLauncher) -> None:
    sup = _client(system, "supervisor", "supervisor-demo")
    plans = sup.request("GET", "/api/plans")
    nmg = next(p for p in plans if p["jurisdiction"] == "内蒙古自治区")
    tasks = sup.request("GET", f"/api/tasks?plan_id={nmg['id']}&page_size=200")["items"]
    task = next(
        t
        for t in tasks
        if any(
            m["due_on"] == "2023-12-31" and MILESTONE_2023 in m["text"]
            for m in sup.request("GET", f"/api/tasks/{t['id']}/milestones")
        )
    )
    tid = task["id"]
    milestones = {m["key"]: m for m in sup.request("GET", f"/api/tasks/{tid}/milestones")}
    assert [(k, m["due_on"]) for k, m in milestones.items()] == [
        ("ms-1", "2022-12-31"),
        ("ms-2", "2023-12-31"),
        ("ms-3", "2025-12-31"),
    ]
    sup.request("POST", f"/api/tasks/{tid}/dispatch")
    lead = _client(
        system,
        liaison_username(system.url("task-ledger"), task["lead_department_ids"][0]),
        "liaison-demo",
    )
    lead.request("POST", f"/api/tasks/{tid}/acknowledge")
    # The watcher plans the 2023 milestone's reminders and ladder like the task's own deadline.
    wait_until(lambda: len(_timers(system, tid, "ms-2")) >= 3, 120, "时限监控服务排定时间节点", 1)
    assert wait_until(lambda: _timers(system, tid, "ms-3"), 60, "2025年时间节点已排定", 1)

    # The 2025 milestone is reached early and reported done with its evidence: its timers go.
    raw, boundary = _form(
        [
            ("percent", "45"),
            ("done_work", "已有自治区级劳务品牌30个、新增国家级劳务品牌5个，名单见附件说明"),
            ("milestones_done", "ms-3"),
        ]
    )
    lead.request(
        "POST",
        f"/api/tasks/{tid}/progress-reports",
        raw=raw,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    wait_until(lambda: not _timers(system, tid, "ms-3"), 120, "已完成的时间节点不再提醒", 1)
    assert [m["done"] for m in sup.request("GET", f"/api/tasks/{tid}/milestones")] == [
        False,
        False,
        True,
    ]

    def about_2023(kind: str) -> list[dict]:
        timeline = sup.request("GET", f"/api/tasks/{tid}/timeline?page_size=200")
        return [
            e
            for e in timeline
            if e["kind"] == kind and MILESTONE_2023 in (e["data"].get("milestone") or "")
        ]

    # Before the day: reminders about the milestone reach the ledger's timeline.
    FileClock.write(system.clock_file, ON_THE_DAY)
    reminders = wait_until(lambda: about_2023("reminder"), 120, "时间节点到期前提醒", 1)
    assert all(e["summary"].startswith("【时间节点：2023年") for e in reminders)
    assert any("2023-12-31" in e["summary"] for e in reminders)
    # After it: overdue reminders and an escalation, about that milestone, not the task's own
    # deadline (2025-12-31) nor the closed 2025 milestone.
    FileClock.write(system.clock_file, AFTER)
    wait_until(lambda: about_2023("overdue"), 120, "时间节点逾期提醒", 1)
    escalations = wait_until(lambda: about_2023("escalation"), 120, "时间节点升级督办", 1)
    assert "时间节点“2023年" in escalations[0]["summary"]
    timeline = sup.request("GET", f"/api/tasks/{tid}/timeline?page_size=200")
    assert not [
        e
        for e in timeline
        if e["kind"] in ("reminder", "overdue", "escalation")
        and "2025" in (e["data"].get("milestone") or "")
    ]
    assert not [(kind, fired) for kind, fired in _timers(system, tid, "ms-3")]

    # The milestone left open lights the task red, and says why.
    detail = sup.request("GET", f"/api/tasks/{tid}")
    assert detail["light"] == "red"
    assert any(r.startswith("时间节点 2023-12-31 逾期未完成") for r in detail["light_reasons"])

    # A supervisor moves the open milestone to mid-2024: the watcher plans it anew.
    wanted = [
        {"key": k, "due_on": m["due_on"], "text": m["text"]}
        for k, m in milestones.items()
        if k != "ms-2"
    ]
    wanted.insert(1, {"key": "ms-2", "due_on": "2024-06-28", "text": milestones["ms-2"]["text"]})
    moved = sup.request("PUT", f"/api/tasks/{tid}/milestones", {"milestones": wanted})
    assert [(m["key"], m["due_on"]) for m in moved][1] == ("ms-2", "2024-06-28")
    wait_until(
        lambda: [f for _, f in _timers(system, tid, "ms-2", "2024-06-28")].count(False) >= 3,
        120,
        "移动后的时间节点重新排定",
        1,
    )
    detail = sup.request("GET", f"/api/tasks/{tid}")
    assert not any(r.startswith("时间节点 2023-12-31") for r in detail["light_reasons"])
