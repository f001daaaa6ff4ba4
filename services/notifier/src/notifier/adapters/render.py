"""Render deliveries into Chinese messages, each in the form its channel shows.

One Jinja2 template per kind of message (`adapters/templates/*.md.j2`) writes the message in
CommonMark; `Rendered` turns that one text into what each channel needs (see
`duban_common.richtext`): e-mail gets a plain-text part without Markdown syntax and a
sanitised HTML part, WeCom and DingTalk robots their own Markdown dialects within their size
limits, and the in-app inbox the Markdown itself, which the ledger renders (and sanitises)
when it shows it. Facts from events (titles, comments) are escaped, so they read as text.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from duban_common import richtext
from duban_contracts.vocabulary import Channel
from notifier.adapters.store import Item
from notifier.domain.digest import LIGHTS, DigestLine, build_digest
from notifier.domain.model import Kind, Recipient

# WeCom refuses markdown content over 4096 bytes; DingTalk's limit is not documented as
# precisely: 20,000 bytes keeps well inside what it accepts.
ROBOT_DIALECTS = {
    Channel.WECOM: richtext.RobotDialect(
        "wecom", max_bytes=4096, lists=False, italic=False, colour_tag=True
    ),
    Channel.DINGTALK: richtext.RobotDialect("dingtalk", max_bytes=20_000, inline_code=False),
}
# WeCom's colours: "warning" (orange-red) for what is late or escalated.
URGENT_KINDS = frozenset(
    {Kind.OVERDUE, Kind.ESCALATION, Kind.REPORT_MISSING, Kind.NOTICE_ISSUED, Kind.MANUAL}
)
EMAIL_PAGE = (
    '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "<title>{title}</title>\n</head>\n"
    '<body style="margin:0;padding:16px 8px;background-color:#f1f5f9">\n'
    '<div style="max-width:640px;margin:0 auto;padding:24px;background-color:#ffffff;'
    "border-radius:6px;font-family:'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',"
    'sans-serif;font-size:15px;line-height:1.7;color:#1f2937">\n{content}</div>\n'
    '<p style="max-width:640px;margin:12px auto 0;font-family:sans-serif;font-size:12px;'
    'color:#64748b">本邮件由督办系统自动发送，请勿直接回复。</p>\n</body>\n</html>\n'
)


# The recipient's name stands in a message as this character (Unicode private use: neither
# Markdown nor the sanitiser touches it) until a form is handed out, so everyone told of the
# same event shares one parse and one rendering per channel.
NAME_SLOT = "\ue000"


class MessageForms:
    """A message, its recipient's name left as NAME_SLOT, in each channel's form: each form
    is made on first use, once for every recipient of the same message."""

    def __init__(self, subject: str, body: str, link: str, urgent: bool) -> None:
        self.subject = subject
        self.body = body
        self.link = link
        self.urgent = urgent  # late or escalated: coloured where a channel has colours
        self._robot_blocks: dict[Channel, list[str]] = {}

    @cached_property
    def tokens(self) -> richtext.Parsed:
        return richtext.parse(self.body)

    @cached_property
    def text(self) -> str:
        return richtext.to_text(self.tokens)

    @cached_property
    def html(self) -> str:
        content = richtext.to_html(self.tokens, richtext.EMAIL_STYLE)
        return EMAIL_PAGE.format(title=html.escape(self.subject), content=content)

    def robot_blocks(self, channel: Channel) -> list[str]:
        if channel not in self._robot_blocks:
            accent = "warning" if self.urgent else None
            self._robot_blocks[channel] = richtext.to_robot_markdown(
                self.tokens, ROBOT_DIALECTS[channel], accent=accent
            )
        return self._robot_blocks[channel]


@dataclass(frozen=True)
class Rendered:
    """One recipient's message. `body` is its Markdown, the one text every channel's form
    is made from; the inbox keeps it and the ledger renders it."""

    subject: str
    body: str
    link: str
    task_ids: tuple[str, ...]
    name: str
    forms: MessageForms = field(repr=False, compare=False)

    @property
    def text(self) -> str:
        """E-mail's text/plain part: no Markdown syntax, links as "text（URL）"."""
        return self.forms.text.replace(NAME_SLOT, self.name)

    @property
    def html(self) -> str:
        """E-mail's text/html part: a whole page, inline styles, the action link a button."""
        return self.forms.html.replace(NAME_SLOT, html.escape(self.name))

    def robot_markdown(self, channel: Channel) -> str:
        """The message in a robot's dialect, cut at a block boundary to fit its limit."""
        name = richtext.robot_literal(self.name)
        blocks = [b.replace(NAME_SLOT, name) for b in self.forms.robot_blocks(channel)]
        return richtext.fit_blocks(
            blocks,
            ROBOT_DIALECTS[channel].max_bytes,
            f"……（内容较长，[请登录督办系统查看全文]({self.link})）",
        )


def cn_date(value: str | date | None) -> str:
    if not value:
        return "未定"
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.year}年{d.month}月{d.day}日"


def cn_period(value: str) -> str:
    year, month = value.split("-")
    return f"{year}年{int(month)}月"


class Renderer:
    def __init__(self, public_base_url: str) -> None:
        self.base_url = public_base_url.rstrip("/")
        self.env = Environment(
            loader=PackageLoader("notifier.adapters", "templates"),
            autoescape=False,  # Markdown (facts escaped by `_escaped`), never HTML
            undefined=StrictUndefined,  # a missing fact is a bug, not an empty string
            keep_trailing_newline=False,
            auto_reload=False,  # package data: no stat() of the template file per message
        )
        # Keyed by the message without its recipient's name (see NAME_SLOT).
        self._forms = functools.lru_cache(maxsize=256)(MessageForms)
        self.env.filters["cn_date"] = cn_date
        self.env.filters["cn_period"] = cn_period

    def task_link(self, task_id: str | None) -> str:
        return f"{self.base_url}/tasks/{task_id}" if task_id else f"{self.base_url}/"

    def render(self, person: Recipient, items: list[Item]) -> Rendered:
        if not items:
            raise ValueError("a delivery without items cannot be rendered")
        task_ids = tuple(dict.fromkeys(i.task_id for i in items if i.task_id))
        if len(items) == 1:
            item = items[0]
            link = self.task_link(item.task_id)
            variables = {"name": NAME_SLOT, "link": link, **item.facts}
            subject, body = self._blocks(
                self.env.get_template(f"{item.kind.value}.md.j2"), variables
            )
            subject, body = _unstaffed_note(subject, body, item.facts)
            forms = self._forms(subject, body, link, item.kind in URGENT_KINDS)
            return self._for(person, forms, task_ids)
        digest = build_digest([DigestLine(i.kind, i.task_id, i.facts) for i in items])
        groups = [
            (label, [self._line(line) for line in lines])
            for label, lines in (
                *((f"{level.label}色督办", digest.escalated[level]) for level in LIGHTS),
                ("今日到期", digest.due_today),
                (f"{digest.soon_days}个工作日内到期", digest.due_soon),
                ("已逾期", digest.overdue),
                ("月度进展待报送", digest.reports_due),
            )
            if lines
        ]
        variables = {
            "name": NAME_SLOT,
            "total": digest.total,
            "groups": groups,
            "escalated": any(digest.escalated.values()),
            "home": f"{self.base_url}/",
        }
        subject, body = self._blocks(self.env.get_template("digest.md.j2"), variables)
        late = bool(digest.overdue) or any(digest.escalated.values())
        forms = self._forms(subject, body, f"{self.base_url}/", late)
        return self._for(person, forms, task_ids)

    @staticmethod
    def _for(person: Recipient, forms: MessageForms, task_ids: tuple[str, ...]) -> Rendered:
        name = person.display_name
        return Rendered(
            subject=forms.subject.replace(NAME_SLOT, name),
            body=forms.body.replace(NAME_SLOT, richtext.md_escape(name)),
            link=forms.link,
            task_ids=task_ids,
            name=name,
            forms=forms,
        )

    def _line(self, line: DigestLine) -> dict[str, Any]:
        return {"kind": line.kind.value, "facts": line.facts, "link": self.task_link(line.task_id)}

    @staticmethod
    def _blocks(template: Template, variables: dict[str, Any]) -> tuple[str, str]:
        """The subject (plain text) and the body (Markdown, every fact escaped) of a message."""
        subject_ctx = template.new_context(variables)
        subject = "".join(template.blocks["subject"](subject_ctx)).strip()
        body_ctx = template.new_context(_escaped(variables))
        body = "".join(template.blocks["body"](body_ctx)).strip()
        return subject[:500], body


def _unstaffed_note(subject: str, body: str, facts: dict[str, Any]) -> tuple[str, str]:
    """A notice rerouted to the supervisors because nobody is liaison of its departments
    says so first, and what to do (a collective group waits to be split into its members)."""
    names = facts.get("unstaffed_departments")
    if not names:
        return subject, body
    note = (
        f"> 转督办人处理：{richtext.md_escape(str(names))} 尚无联络员，本条提醒无人接收。"
        "如为集体责任主体（如各县（市、区）人民政府），请在任务页“全部展开”分解到各成员单位；"
        "否则请为该单位设置联络员。"
    )
    return f"【无联络员·转督办人】{subject}"[:500], f"{note}\n\n{body}"


def _escaped(value: Any) -> Any:
    """Facts as Markdown that reads as the same text; links and dates are left as they are
    (links are ours, dates go through `cn_date`)."""
    if isinstance(value, str):
        return value if _verbatim(value) else richtext.md_escape(value)
    if isinstance(value, Mapping):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_escaped(v) for v in value)
    return value


def _verbatim(value: str) -> bool:
    return value.startswith(("http://", "https://")) or _is_iso_date(value)


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
