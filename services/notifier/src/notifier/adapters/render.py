"""Render deliveries into Chinese messages from the Jinja2 templates in `adapters/templates`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from notifier.adapters.store import Item
from notifier.domain.digest import DigestLine, build_digest
from notifier.domain.model import Recipient


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str  # Markdown: robots render it, e-mail and the inbox show it as text
    link: str
    task_ids: tuple[str, ...]


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
            autoescape=False,  # Markdown and plain text, never HTML
            undefined=StrictUndefined,  # a missing fact is a bug, not an empty string
            keep_trailing_newline=False,
            auto_reload=False,  # package data: no stat() of the template file per message
        )
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
            variables = {"name": person.display_name, "link": link, **item.facts}
            subject, body = self._blocks(
                self.env.get_template(f"{item.kind.value}.md.j2"), variables
            )
            return Rendered(subject, body, link, task_ids)
        digest = build_digest([DigestLine(i.kind, i.task_id, i.facts) for i in items])
        groups = [
            (label, [self._line(line) for line in lines])
            for label, lines in (
                ("今日到期", digest.due_today),
                (f"{digest.soon_days}个工作日内到期", digest.due_soon),
                ("已逾期", digest.overdue),
            )
            if lines
        ]
        variables = {
            "name": person.display_name,
            "total": digest.total,
            "groups": groups,
            "home": f"{self.base_url}/",
        }
        subject, body = self._blocks(self.env.get_template("digest.md.j2"), variables)
        return Rendered(subject, body, f"{self.base_url}/", task_ids)

    def _line(self, line: DigestLine) -> dict[str, Any]:
        return {"kind": line.kind.value, "facts": line.facts, "link": self.task_link(line.task_id)}

    @staticmethod
    def _blocks(template: Template, variables: dict[str, Any]) -> tuple[str, str]:
        ctx = template.new_context(variables)
        subject = "".join(template.blocks["subject"](ctx)).strip()
        body = "".join(template.blocks["body"](ctx)).strip()
        return subject[:500], body
