"""Each channel's form of a message: e-mail parts, robot dialects, what the inbox stores."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest

from duban_common import richtext
from duban_contracts.examples import examples
from duban_contracts.vocabulary import Channel, Role
from notifier.adapters.channels import RobotSender
from notifier.adapters.mail import MaildirSender
from notifier.adapters.render import ROBOT_DIALECTS, Rendered, Renderer
from notifier.adapters.store import Item
from notifier.adapters.webhook_client import WebhookClient
from notifier.domain.model import Kind, Recipient
from notifier.domain.notices import named_facts, notices_for

pytestmark = pytest.mark.unit

BASE = "https://duban.example.gov.cn/"
MARKDOWN_SYNTAX = ("###", "**", "](")
LIAISON = Recipient("liaison-hrss", "人社联络员", Role.LIAISON, "d-hrss", email="hrss@example.org")
TITLES = {"task-0001": "开展劳务品牌调查摸底"}
DEPARTMENTS = {"gd-hrss": "省人社厅"}


def example_items() -> list[Item]:
    """One item of every kind of message the notifier sends (the contracts' examples)."""
    items = []
    for message in examples():
        for notice in notices_for(message, "01a200e7-b053-79f9-bb22-77b84b6cfc42"):
            facts = named_facts(notice.facts, notice.task_id, TITLES, DEPARTMENTS)
            items.append(Item(notice.source_event_id, notice.kind, notice.task_id, facts))
    return items


def every_message() -> list[tuple[str, Rendered]]:
    renderer = Renderer(BASE)
    items = example_items()
    single = [(item.kind.value, renderer.render(LIAISON, [item])) for item in items]
    digested = [i for i in items if i.kind in (Kind.REMINDER, Kind.OVERDUE)]
    escalated = [i for i in items if i.kind is Kind.ESCALATION]
    return [
        *single,
        ("escalation digest", renderer.render(LIAISON, escalated + digested)),
        ("digest", renderer.render(LIAISON, digested * 2)),
    ]


MESSAGES = every_message()


def test_every_kind_of_message_is_covered() -> None:
    kinds = {name for name, _ in MESSAGES}
    assert kinds >= {k.value for k in Kind} | {"digest"}


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize(("kind", "message"), MESSAGES, ids=[k for k, _ in MESSAGES])
def test_text_and_html_carry_no_markdown_syntax(kind: str, message: Rendered) -> None:
    assert message.body.startswith("### ")  # the source is Markdown, as the robots had it
    assert not any(mark in message.text for mark in MARKDOWN_SYNTAX), message.text
    assert "人社联络员，您好" in message.text
    for html in (message.html, richtext.to_html(message.body)):
        page = Page(html)
        assert not any(mark in "".join(page.text) for mark in MARKDOWN_SYNTAX), html
        assert page.links and all(a["href"].startswith(BASE) for a in page.links)  # type: ignore[union-attr]
    # The message's own link, in the text as a URL people can copy.
    assert message.link in message.text


def test_facts_are_text_not_markup() -> None:
    facts = {
        "task_title": "开展**劳务**品牌[调查](javascript:alert(1)) <script>x</script>",
        "message": "请于本周五前报送进展\n- 一\n### 二",
        "level_label": None,
    }
    rendered = Renderer(BASE).render(LIAISON, [Item("e-1", Kind.MANUAL, "task-1", facts)])
    html = richtext.to_html(rendered.body)
    assert "<script" not in html and "javascript:" not in " ".join(
        str(a.get("href")) for a in Page(html).links
    )
    text = "".join(Page(html).text)
    assert "开展**劳务**品牌[调查](javascript:alert(1)) <script>x</script>" in text  # as typed
    assert "<h3>二</h3>" not in html and "<li>一</li>" not in html
    assert "请于本周五前报送进展" in rendered.text


async def test_maildir_mail_is_multipart_with_plain_text_and_html(tmp_path: Path) -> None:
    _, message = MESSAGES[-1]  # the digest: headings, bold, lists and links
    sender = MaildirSender(str(tmp_path), "督办系统 <duban@example.gov.cn>")
    await sender.send(LIAISON, message, "n-0001")
    mail = message_from_bytes((tmp_path / "n-0001.eml").read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in mail.iter_parts())
    assert str(mail["Subject"]) == message.subject
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    text = plain.get_content()
    assert not any(mark in text for mark in MARKDOWN_SYNTAX), text
    assert "督办提醒汇总" in text and f"{BASE}tasks/task-0001" in text
    page = html.get_content()
    assert page.startswith("<!DOCTYPE html>") and 'style="' in page
    assert "<h3" in page and "<strong>" in page and "<li" in page
    button = next(a for a in Page(page).links if a["href"] == BASE)
    assert "display:inline-block" in (button["style"] or "")  # 打开督办系统, as a button
    assert not any(mark in "".join(Page(page).text) for mark in MARKDOWN_SYNTAX)


def robot(channel: Channel) -> RobotSender:
    return RobotSender(channel, WebhookClient(timeout=1.0, max_connections=1))


def test_wecom_payload_is_its_markdown_dialect() -> None:
    escalation = next(m for k, m in MESSAGES if k == "escalation")
    content = robot(Channel.WECOM).payload(escalation)["markdown"]["content"]
    assert content.startswith('### <font color="warning">')  # late or escalated: coloured
    assert "**" in content and f"]({BASE}tasks/task-0001)" in content
    assert "\n- " not in content and "\n• " in content  # no lists in WeCom


def test_dingtalk_payload_is_its_markdown_dialect() -> None:
    digest = MESSAGES[-1][1]
    payload = robot(Channel.DINGTALK).payload(digest)
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == digest.subject
    text = payload["markdown"]["text"]
    assert text.startswith("### 督办提醒汇总") and "<font" not in text
    assert "\n- [" in text and f"]({BASE}tasks/task-0001)" in text


@pytest.mark.parametrize("channel", [Channel.WECOM, Channel.DINGTALK])
def test_robot_messages_fit_their_size_limit(channel: Channel) -> None:
    renderer = Renderer(BASE)
    many = [
        Item(
            f"e-{n}",
            Kind.REMINDER,
            f"task-{n:04d}",
            {
                "task_title": f"第{n}项任务：开展劳务品牌调查摸底，建立重点劳务品牌培育名录",
                "due_on": "2026-03-06",
                "working_days_left": 2,
            },
        )
        for n in range(400)
    ]
    digest = renderer.render(LIAISON, many)
    payload = robot(channel).payload(digest)["markdown"]
    text = payload.get("content") or payload["text"]
    assert len(text.encode()) <= ROBOT_DIALECTS[channel].max_bytes
    assert text.startswith("### ") and text.endswith(f"[请登录督办系统查看全文]({BASE})）")


def test_recipients_of_one_message_share_its_forms_with_their_own_names() -> None:
    renderer = Renderer(BASE)
    item = next(i for i in example_items() if i.kind is Kind.ESCALATION)
    plain = renderer.render(LIAISON, [item])
    odd = Recipient("odd", "<b>王*五</b>", Role.LIAISON, "d-hrss", email="odd@example.org")
    other = renderer.render(odd, [item])
    assert other.forms is plain.forms  # parsed and rendered once for both
    assert "人社联络员，您好" in plain.text and "人社联络员" not in other.text
    assert "<b>王*五</b>，您好" in other.text
    assert "&lt;b&gt;王*五&lt;/b&gt;，您好" in other.html and "<b>王" not in other.html
    assert "＜b＞王＊五＜/b＞，您好" in other.robot_markdown(Channel.WECOM)
    assert "王*五" in "".join(Page(richtext.to_html(other.body)).text)  # the inbox's Markdown
    assert "\ue000" not in other.body + other.text + other.html + other.subject


def test_a_notice_rerouted_for_want_of_a_liaison_says_why_and_what_to_do() -> None:
    facts = {
        "task_title": "推进就业服务站进村入社区",
        "message": "请于本周五前报送进展",
        "level_label": None,
        "unstaffed_departments": "各县（市、区）人民政府",
    }
    item = Item("e-1", Kind.MANUAL, "task-1", facts)
    single = Renderer(BASE).render(LIAISON, [item])
    assert single.subject.startswith("【无联络员·转督办人】")
    assert "各县（市、区）人民政府 尚无联络员" in single.text and "全部展开" in single.text
    reminders = [i for i in example_items() if i.kind is Kind.REMINDER][:1] * 2
    rerouted = [Item(i.source_event_id, i.kind, i.task_id, {**i.facts, **facts}) for i in reminders]
    digest = Renderer(BASE).render(LIAISON, rerouted)
    assert "各县（市、区）人民政府 尚无联络员，转督办人" in digest.text
