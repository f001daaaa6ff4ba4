"""The whole system, started by the same launcher `make run` uses, on the embedded broker.

Import the seed plans, work a task, jump the shared clock past the due date, and check that
the watcher's reminders and escalations, delivered by the notifier, reach the ledger's
timeline, and that the monthly report's numbers match the ledger's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from e2e.e2e_system import launched_at, liaison_username, planned_timers

from duban.first_start import LedgerClient, first_start
from duban.launcher import SystemLauncher
from duban_common import richtext
from duban_common.clock import CHINA, FileClock
from duban_common.testing.polling import wait_until

pytestmark = pytest.mark.e2e

START = datetime(2025, 12, 1, 9, 30, tzinfo=CHINA)  # the seeds' tasks are due 2025-12-31
AFTER_DUE = datetime(2026, 1, 20, 10, 0, tzinfo=CHINA)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemLauncher]:
    yield from launched_at(tmp_path_factory, "duban", START)


def _client(system: SystemLauncher, username: str, password: str) -> LedgerClient:
    client = LedgerClient(system.url("task-ledger"))
    client.login(username, password)
    return client


def test_reminders_escalations_and_the_report(system: SystemLauncher) -> None:
    sup = _client(system, "supervisor", "supervisor-demo")
    plans = sup.request("GET", "/api/plans")
    gd = next(p for p in plans if "劳务品牌建设的行动方案" in p["title"])
    tasks = sup.request("GET", f"/api/tasks?plan_id={gd['id']}&page_size=200")["items"]
    assert len(tasks) == 9
    task = tasks[0]
    tid = task["id"]
    sup.request("POST", f"/api/tasks/{tid}/dispatch")
    lead = _client(
        system,
        liaison_username(system.url("task-ledger"), task["lead_department_ids"][0]),
        "liaison-demo",
    )
    lead.request("POST", f"/api/tasks/{tid}/acknowledge")
    boundary = "b0undary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="percent"\r\n\r\n40\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="done_work"\r\n\r\n'
        f"完成全省摸底\r\n--{boundary}--\r\n"
    ).encode()
    lead.request(
        "POST",
        f"/api/tasks/{tid}/progress-reports",
        raw=form,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    # The clock only moves once the watcher has planned the task's timers (it plans from now
    # on, so a clock that jumped first would make the early reminders moot).
    wait_until(lambda: planned_timers(system, tid) >= 3, 120, "时限监控服务为任务排定提醒", 1)
    # Before the due date: reminders 5, 3 and 1 working days ahead arrive on the timeline.
    FileClock.write(system.clock_file, datetime(2025, 12, 31, 10, 0, tzinfo=CHINA))
    wait_until(
        lambda: (
            sum(
                e["kind"] == "reminder"
                for e in sup.request("GET", f"/api/tasks/{tid}/timeline?page_size=200")
            )
            >= 3
        ),
        120,
        "到期前提醒写入时间线",
        1,
    )
    # Past the due date: overdue reminders and an escalation, delivered by the notifier.
    FileClock.write(system.clock_file, AFTER_DUE)

    def escalated() -> list[dict]:
        timeline = sup.request("GET", f"/api/tasks/{tid}/timeline?page_size=200")
        kinds = {e["kind"] for e in timeline}
        return timeline if {"overdue", "escalation", "delivered"} <= kinds else []

    timeline = wait_until(escalated, 120, "逾期、升级督办与送达记录写入时间线", 1)
    assert any(e["kind"] == "progress" for e in timeline)
    mails = list((system.data_dir / "mail").rglob("*.eml"))
    assert mails, "notifier wrote no e-mail to the development maildir"
    # Messages read as their channel shows them: no Markdown syntax left for people to see.
    for path in mails:
        _assert_readable_mail(path.read_bytes())
    inbox = wait_until(lambda: lead.request("GET", "/api/me/inbox"), 120, "联络员收到站内信", 1)
    for message in inbox:
        shown = _html_text(richtext.to_html(message["body"] or ""))  # what the inbox page shows
        assert not any(mark in shown for mark in MARKDOWN_SYNTAX), shown

    # The monthly report of January agrees with the ledger.
    overdue = sup.request("GET", f"/api/tasks?plan_id={gd['id']}&overdue=true&page_size=200")
    raw = _fetch(system, sup, f"/api/reports/monthly?plan={gd['id']}&month=2026-01&format=md")
    assert f"| {len(tasks)} | 0 | 0.0% |" in raw
    overdue_rows = re.findall(r"^\| \d+ \| .+ \| \d{4}-\d{2}-\d{2} \| (\d+) \|", raw, re.M)
    assert len(overdue_rows) == overdue["total"] == len(tasks)
    reminders_in_january = 0
    for t in tasks:
        for e in sup.request("GET", f"/api/tasks/{t['id']}/timeline"):
            at = datetime.fromisoformat(e["at"]).astimezone(CHINA)
            if e["kind"] in ("reminder", "overdue", "manual_reminder") and (at.year, at.month) == (
                2026,
                1,
            ):
                reminders_in_january += 1
    assert reminders_in_january > 0
    assert f"本月共发出催办提醒 {reminders_in_january} 次" in raw


MARKDOWN_SYNTAX = ("###", "**", "](")


def _assert_readable_mail(raw: bytes) -> None:
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage) and mail.get_content_type() == "multipart/alternative"
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    for text in (plain.get_content(), _html_text(html.get_content())):
        assert not any(mark in text for mark in MARKDOWN_SYNTAX), text


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(html: str) -> str:
    reader = _Text()
    reader.feed(html)
    return "".join(reader.parts)


def _fetch(system: SystemLauncher, client: LedgerClient, path: str) -> str:
    import urllib.request

    req = urllib.request.Request(system.url("task-ledger") + path)
    req.add_header("Authorization", f"Bearer {client.token}")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.read().decode()


def test_restart_keeps_the_data(system: SystemLauncher) -> None:
    sup = _client(system, "supervisor", "supervisor-demo")
    before = sup.request("GET", "/api/tasks?page_size=1")["total"]
    accounts = (system.data_dir / "demo-accounts.txt").read_text(encoding="utf-8")
    assert "gd-rst\t广东省人力资源和社会保障厅" in accounts
    system.stop()
    system.start()
    summary = first_start(system)
    assert "首次启动" not in summary  # nothing imported twice
    # Liaison usernames are readable, printed with their department, and stay the same.
    assert re.search(r"\n    [a-z]+-[a-z0-9-]+ +\S+(厅|局|委员会|部)", summary), summary
    assert (system.data_dir / "demo-accounts.txt").read_text(encoding="utf-8") == accounts
    sup = _client(system, "supervisor", "supervisor-demo")
    assert sup.request("GET", "/api/tasks?page_size=1")["total"] == before
