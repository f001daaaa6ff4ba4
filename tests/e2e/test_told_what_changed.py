"""People are told what changed, on the real services and the embedded broker.

Each decision on a task (交办, 延期申请 and its 同意/不同意, 办结申请, 退回, 同意办结, 销号,
督办单下发 and 回复) reaches exactly the people who must act next, once each, and nobody
else; the 蓝 warning before the deadline counts the working days left; 橙 reaches the lead
department's liaison and its head; no task's timeline carries another task's digest receipt;
and the inbox page shows no Markdown syntax.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from e2e.e2e_system import launched_at, liaison_username, peek, planned_timers

from duban.first_start import LedgerClient
from duban.launcher import SystemLauncher
from duban_common.clock import CHINA, FileClock
from duban_common.testing.polling import wait_until

pytestmark = pytest.mark.e2e

START = datetime(2025, 12, 1, 9, 30, tzinfo=CHINA)  # the seeds' tasks are due 2025-12-31
BEFORE_DUE = datetime(2025, 12, 29, 10, 0, tzinfo=CHINA)  # two working days before
AFTER_DUE = datetime(2026, 1, 20, 10, 0, tzinfo=CHINA)
HEAD_PASSWORD = "Fen-Guan-Ling-Dao-2026"
MARKDOWN_SYNTAX = ("###", "**", "](")
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemLauncher]:
    yield from launched_at(tmp_path_factory, "duban", START, digest_window_seconds=2)


def _client(system: SystemLauncher, username: str, password: str = "liaison-demo") -> LedgerClient:
    client = LedgerClient(system.url("task-ledger"))
    client.login(username, password)
    return client


def _liaison(system: SystemLauncher, department_id: str) -> str:
    return liaison_username(system.url("task-ledger"), department_id)


def _ask_completion(liaison: LedgerClient, path: str, summary: str) -> Any:
    """申请办结 is a form with at least one evidence file (佐证材料)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="summary"\r\n\r\n{summary}\r\n',
        # Reported at 60 %: below 100 % the request must say why (说明).
        f'--{boundary}\r\nContent-Disposition: form-data; name="explanation"\r\n\r\n'
        "余下工作转入常态化推进\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="evidence.txt"'
        f"\r\nContent-Type: text/plain\r\n\r\n{summary}：佐证材料\r\n",
        f"--{boundary}--\r\n",
    ]
    return liaison.request(
        "POST",
        path,
        raw="".join(parts).encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


class People:
    """Everyone whose inbox the test reads, by username."""

    def __init__(self, system: SystemLauncher) -> None:
        self.system = system
        self.clients: dict[str, LedgerClient] = {}

    def add(self, username: str, password: str = "liaison-demo") -> None:
        self.clients[username] = _client(self.system, username, password)

    def told(self, task_id: str) -> dict[str, Counter[str]]:
        """Per person: how many inbox messages about this task alone, by subject tag (【…】).
        Every page of the inbox: when the module's other test has run first, its escalations
        and reminders fill more than a page."""
        return {
            name: Counter(
                m["subject"].split("】")[0] + "】"
                for m in _whole_inbox(client)
                if m["task_ids"] == [task_id]
            )
            for name, client in self.clients.items()
        }


def _whole_inbox(client: LedgerClient) -> list[Any]:
    messages: list[Any] = []
    for page in range(1, 100):
        found = client.request("GET", f"/api/me/inbox?page={page}&page_size=200")
        messages += found
        if len(found) < 200:
            break
    return messages


def _report_progress(client: LedgerClient, task_id: str) -> None:
    boundary = "b0undary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="percent"\r\n\r\n60\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="done_work"\r\n\r\n'
        f"完成摸底\r\n--{boundary}--\r\n"
    ).encode()
    client.request(
        "POST",
        f"/api/tasks/{task_id}/progress-reports",
        raw=form,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_each_decision_reaches_who_must_act_next_once(system: SystemLauncher) -> None:
    sup = _client(system, "supervisor", "supervisor-demo")
    admin = _client(system, "admin", "admin-demo")
    plans = sup.request("GET", "/api/plans")
    gd = next(p for p in plans if "劳务品牌建设的行动方案" in p["title"])
    other_plan = next(p for p in plans if p["id"] != gd["id"])
    tasks = sup.request("GET", f"/api/tasks?plan_id={gd['id']}&page_size=200")["items"]
    task = next(t for t in tasks if t["supporting_department_ids"])
    tid, lead_dept = task["id"], task["lead_department_ids"][0]
    supporting = next(d for d in task["supporting_department_ids"] if d != lead_dept)
    everyone_involved = {*task["lead_department_ids"], *task["supporting_department_ids"]}
    bystander = next(
        d for t in tasks for d in t["lead_department_ids"] if d not in everyone_involved
    )

    # The lead department's head, and a supervisor who oversees another plan only.
    head = admin.request(
        "POST",
        "/api/users",
        {
            "username": "head-lead",
            "display_name": "牵头单位分管领导",
            "role": "department_head",
            "department_id": lead_dept,
            "password": HEAD_PASSWORD,
        },
    )
    admin.request(
        "POST",
        "/api/users",
        {
            "username": "sup-other",
            "display_name": "另一方案督查员",
            "role": "supervisor",
            "password": HEAD_PASSWORD,
            "plan_ids": [other_plan["id"]],
        },
    )
    # The directory reaches the notifier as events of its own topic, ordered apart from the
    # task's: as an office would, notices go out once the new head is known there (on a busy
    # machine that can take longer than the test's next requests).
    wait_until(lambda: _notifier_knows(system, head["id"]), 60, "通知服务已知新用户", 0.5)
    people = People(system)
    people.add("supervisor", "supervisor-demo")
    people.add("sup-other", HEAD_PASSWORD)
    people.add("head-lead", HEAD_PASSWORD)
    lead, support, other = (
        _liaison(system, lead_dept),
        _liaison(system, supporting),
        _liaison(system, bystander),
    )
    for username in (lead, support, other):
        people.add(username)
    liaison = people.clients[lead]

    sup.request("POST", f"/api/tasks/{tid}/dispatch")
    liaison.request("POST", f"/api/tasks/{tid}/acknowledge")
    notice = sup.request(
        "POST",
        f"/api/tasks/{tid}/supervision-notices",
        {
            "department_id": lead_dept,
            "level": "orange",
            "requirements": "三个工作日内书面说明进展",
            "reply_due_on": "2025-12-10",
        },
    )
    liaison.request(
        "POST",
        f"/api/tasks/{tid}/supervision-notices/{notice['id']}/answer",
        {"answer": "已部署整改，本月底前完成"},
    )
    extension = f"/api/tasks/{tid}/extension-requests"
    first = liaison.request(
        "POST", extension, {"requested_due_on": "2026-03-31", "reason": "需等待统计数据"}
    )
    sup.request(
        "POST",
        f"{extension}/{first['id']}/decision",
        {"decision": "rejected", "comment": "理由不充分，请按原时限推进"},
    )
    second = liaison.request(
        "POST", extension, {"requested_due_on": "2026-02-27", "reason": "统计数据2月发布"}
    )
    sup.request(
        "POST",
        f"{extension}/{second['id']}/decision",
        {"decision": "approved", "comment": "同意延期至2月底，请加快进度"},
    )
    _report_progress(liaison, tid)
    completion = f"/api/tasks/{tid}/completion-requests"
    asked = _ask_completion(liaison, completion, "已完成全省摸底")
    sup.request(
        "POST",
        f"{completion}/{asked['id']}/decision",
        {"decision": "rejected", "comment": "佐证材料不足，请补充名录"},
    )
    asked = _ask_completion(liaison, completion, "已补充培育名录")
    sup.request("POST", f"{completion}/{asked['id']}/decision", {"decision": "approved"})
    sup.request("POST", f"/api/tasks/{tid}/close")

    expected = {
        lead: Counter(
            {
                "【任务交办】": 1,
                "【督办通知单】": 1,
                "【不同意延期】": 1,
                "【同意延期】": 1,
                "【退回】": 1,
                "【同意办结】": 1,
                "【销号】": 1,
            }
        ),
        support: Counter({"【任务交办】": 1}),
        "head-lead": Counter({"【督办通知单】": 1}),
        "supervisor": Counter({"【待审核】": 4, "【督办回复】": 1}),
        "sup-other": Counter(),
        other: Counter(),
    }
    so_far: dict[str, Counter[str]] = {}

    def everyone_told() -> bool:
        so_far.update(people.told(tid))
        return all(so_far[name] >= want for name, want in expected.items())

    try:
        wait_until(everyone_told, 120, "每项决定送达应知悉的人", 1)
    except AssertionError as exc:
        missing = {n: dict(want - so_far.get(n, Counter())) for n, want in expected.items()}
        raise AssertionError(f"{exc}; not told: {missing}; told: {so_far}") from exc
    time.sleep(3)  # a duplicate or a stray message would have arrived by now
    assert people.told(tid) == expected
    inbox = liaison.request("GET", "/api/me/inbox")
    returned = next(m for m in inbox if m["subject"].startswith("【退回】"))
    assert "佐证材料不足，请补充名录" in returned["body"]  # the approver's comment, shown
    granted = next(m for m in inbox if m["subject"].startswith("【同意延期】"))
    assert "同意延期至2月底，请加快进度" in granted["body"]

    # The ladder on two open tasks of one lead department.
    ladder_tasks = [t for t in tasks if t["lead_department_ids"][0] == lead_dept and t["id"] != tid]
    if not ladder_tasks:
        ladder_tasks = [t for t in tasks if t["id"] != tid][:1]
    ladder = [t["id"] for t in ladder_tasks[:2]]
    ladder_lead = _liaison(system, ladder_tasks[0]["lead_department_ids"][0])
    if ladder_lead not in people.clients:
        people.add(ladder_lead)
    if ladder_tasks[0]["lead_department_ids"][0] != lead_dept:
        admin.request(
            "POST",
            "/api/users",
            {
                "username": "head-ladder",
                "display_name": "牵头单位主要负责人",
                "role": "department_head",
                "department_id": ladder_tasks[0]["lead_department_ids"][0],
                "password": HEAD_PASSWORD,
            },
        )
        people.add("head-ladder", HEAD_PASSWORD)
    head = "head-lead" if "head-ladder" not in people.clients else "head-ladder"
    for ladder_id in ladder:
        sup.request("POST", f"/api/tasks/{ladder_id}/dispatch")
        people.clients[ladder_lead].request("POST", f"/api/tasks/{ladder_id}/acknowledge")
    wait_until(lambda: planned_timers(system, ladder[-1]) >= 3, 120, "排定提醒", 1)

    FileClock.write(system.clock_file, BEFORE_DUE)
    blue = wait_until(
        lambda: people.told(ladder[0])[ladder_lead]["【蓝色督办】"], 120, "蓝色预警送达", 1
    )
    assert blue == 1
    warning = next(
        m
        for m in people.clients[ladder_lead].request("GET", "/api/me/inbox")
        if m["subject"].startswith("【蓝色督办】") and m["task_ids"] == [ladder[0]]
    )
    assert "距截止还有" in warning["subject"] and "已逾期0" not in warning["body"]

    FileClock.write(system.clock_file, AFTER_DUE)
    told = wait_until(
        lambda: (
            lambda t: (
                t
                if t[ladder_lead]["【橙色督办】"]
                and t[head]["【橙色督办】"]
                and t[head]["【红色督办】"]
                else None
            )
        )(people.told(ladder[0])),
        180,
        "橙色、红色督办送达牵头单位联络员和负责人",
        1,
    )
    assert told[ladder_lead]["【橙色督办】"] == 1 and told[head]["【橙色督办】"] == 1
    assert told[head]["【蓝色督办】"] == 0  # 蓝 is the liaison's alone
    assert told[other] == Counter()
    # The supervisors hear of the ladder in a digest, never one message per task.
    digests = wait_until(
        lambda: [
            m
            for m in people.clients["supervisor"].request("GET", "/api/me/inbox")
            if "督办" in m["subject"] and set(ladder) & set(m["task_ids"])
        ],
        120,
        "督查人员收到升级督办汇总",
        1,
    )
    assert all("已逾期0个工作日" not in m["subject"] for m in digests)

    # Receipts: one entry per delivery naming who was told; none copied from a digest.
    seen: dict[str, str] = {}
    for task_id in [tid, *ladder]:
        timeline = sup.request("GET", f"/api/tasks/{task_id}/timeline?page_size=200")
        for entry in timeline:
            if entry["kind"] != "delivered":
                continue
            assert entry["summary"].startswith("已通知 "), entry
            assert "您有" not in entry["summary"]  # a digest's subject, copied onto a task
            for notification_id in entry["data"].get("notification_ids", []):
                assert seen.setdefault(notification_id, task_id) == task_id, entry
        assert not any(e["kind"] == "report_requested" for e in timeline)


def test_the_inbox_page_shows_no_markdown_syntax(system: SystemLauncher, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    # The liaison with the most messages: the lead department of the first dispatched task.
    sup = _client(system, "supervisor", "supervisor-demo")
    dispatched = sup.request("GET", "/api/tasks?page_size=200")["items"]
    leads = {
        _liaison(system, t["lead_department_ids"][0]) for t in dispatched if t["status"] != "draft"
    }
    assert leads, "the decision test dispatched tasks first"
    username = max(leads, key=lambda u: len(_client(system, u).request("GET", "/api/me/inbox")))
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            for width, height in ((390, 844), (1366, 768)):
                page = browser.new_page(
                    viewport={"width": width, "height": height},
                    base_url=system.url("task-ledger"),
                )
                page.goto("/login")
                page.get_by_label("用户名").fill(username)
                page.get_by_label("密码").fill("liaison-demo")
                page.get_by_role("button", name="登录").click()
                page.wait_for_url(lambda url: "/login" not in url)
                page.goto("/inbox")
                text = page.locator("main").inner_text()
                assert "【" in text, "the inbox shows the messages"
                assert not any(mark in text for mark in MARKDOWN_SYNTAX), text
                page.screenshot(path=str(tmp_path / f"inbox-{width}.png"))
                comment = page.get_by_text("审核意见").first
                if comment.count():
                    comment.scroll_into_view_if_needed()
                    page.screenshot(path=str(tmp_path / f"inbox-decision-{width}.png"))
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                page.close()
        finally:
            browser.close()


def _notifier_knows(system: SystemLauncher, user_id: str) -> bool:
    """Whether the notifier's own directory has the user."""
    return bool(peek(system, "notifier.db", "SELECT 1 FROM users WHERE user_id = ?", user_id))
