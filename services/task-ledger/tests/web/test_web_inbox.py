"""The in-app inbox in a real browser: messages arrive as Markdown on the bus and are shown as
sanitised HTML, headings and emphasis rendered, links as buttons, hostile markup inert."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel, Role
from task_ledger.domain.model import User
from task_ledger.service_layer import directory, inbound

pytestmark = pytest.mark.e2e
MARKDOWN_SYNTAX = ("###", "**", "](")
PASSWORD = "inbox-liaison-pass"


def digest_body(base: str, task_id: str, title: str) -> str:
    """What the notifier's digest template writes (Markdown, facts escaped)."""
    return (
        "### 督办提醒汇总\n联络员，您好：\n\n您负责联络的任务中，有 **2** 项需要关注：\n\n"
        "#### 今日到期（1项）\n\n"
        f"- [{title}]({base}/tasks/{task_id})，完成时限 2025年6月2日\n\n"
        "#### 已逾期（1项）\n\n"
        f"- [深入调查摸底]({base}/tasks/{task_id})，完成时限 2025年5月30日，已逾期 **1** 个工作日\n\n"
        "请登录督办系统逐项填报进展。\n\n"
        f"[打开督办系统]({base}/)"
    )


HOSTILE_BODY = (
    "### 催办\n\n<script>document.title='pwned'</script>\n\n"
    "[点我](javascript:document.title='pwned') <img src=x onerror=\"document.title='pwned'\">\n\n"
    '<a href="javascript:alert(1)">原始链接</a>'
)


def inbox_message(task_id: str, recipient: str, subject: str, body: str) -> ev.NotificationSent:
    return ev.NotificationSent(
        key=task_id,
        notification_id=f"ntf-{uuid.uuid4().hex[:12]}",
        source_event_ids=(str(uuid.uuid4()),),
        task_ids=(task_id,),
        recipient_id=recipient,
        channel=Channel.INBOX,
        attempt=1,
        at=datetime(2025, 6, 2, 1, 5, tzinfo=UTC),
        subject=subject,
        body=body,
        link=f"/tasks/{task_id}",
    )


def test_inbox_shows_messages_as_html_with_buttons(ledger_server, browsers, shot) -> None:
    task = ledger_server.fresh_task(to="in_progress", lead="广东省发展和改革委员会")
    # A liaison of its own: the department's demo liaison's inbox belongs to another test.
    tag = uuid.uuid4().hex[:6]
    liaison = User(
        f"user-inbox-{tag}",
        f"inbox-{tag}",
        "发改委第二联络员",
        Role.LIAISON,
        task.lead_department_ids[0],
    )
    ledger_server.call(
        directory.create_user(ledger_server.ledger, ledger_server.supervisor, liaison, PASSWORD)
    )
    digest_subject = f"【督办提醒】您有2项任务需关注 {tag}"
    hostile_subject = f"【催办】恶意内容 {tag}"
    messages = [
        inbox_message(task.id, liaison.id, hostile_subject, HOSTILE_BODY),
        inbox_message(
            task.id,
            liaison.id,
            digest_subject,
            digest_body(ledger_server.base_url, task.id, task.title),
        ),
    ]
    batch = [(Envelope.wrap(m, producer="notifier"), m) for m in messages]
    assert ledger_server.call(inbound.handle_batch(ledger_server.ledger, batch)) == 2

    page = browsers.login(liaison.username, PASSWORD)
    page.goto("/inbox")
    digest = page.locator(".messages li", has_text=digest_subject)
    body = digest.locator(".msg-body")
    expect(body.locator("h3")).to_have_text("督办提醒汇总")
    expect(body.locator("h4")).to_have_text(["今日到期（1项）", "已逾期（1项）"])
    expect(body.locator("strong").first).to_have_text("2")
    text = body.inner_text()
    assert not any(mark in text for mark in MARKDOWN_SYNTAX), text
    # Every link a button: the tasks' and, as the primary one, 打开督办系统.
    links = body.locator("a")
    expect(links).to_have_count(3)
    for i in range(3):
        expect(links.nth(i)).to_have_class(
            "button msg-link" if i < 2 else "button primary msg-action"
        )
        assert links.nth(i).get_attribute("target") is None  # this site: same tab
    button = body.get_by_role("link", name="打开督办系统")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 28  # a button, not a line of text
    # The message's own links replace the generic 查看任务 link below it.
    expect(digest.locator(".actions").get_by_role("link", name="查看任务")).to_have_count(0)

    hostile = page.locator(".messages li", has_text=hostile_subject)
    expect(hostile.locator(".msg-body")).to_contain_text("<script>document.title='pwned'</script>")
    assert hostile.locator("script, img, [onerror]").count() == 0
    hrefs = [a.get_attribute("href") or "" for a in page.locator(".messages a").all()]
    assert not any("javascript:" in h.lower() for h in hrefs), hrefs
    assert page.title() != "pwned"

    page.set_viewport_size({"width": 1366, "height": 768})
    digest.scroll_into_view_if_needed()
    shot(page, "inbox-1366x768")
    phone = browsers.login(liaison.username, PASSWORD, mobile=True)
    phone.goto("/inbox")
    phone_digest = phone.locator(".messages li", has_text=digest_subject)
    phone_digest.scroll_into_view_if_needed()
    shot(phone, "inbox-390x844")
    # The message fits the phone's width: nothing to scroll sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    digest.locator(".msg-body").get_by_role("link", name=task.title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(task.title)
