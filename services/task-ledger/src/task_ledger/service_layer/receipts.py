"""Delivery receipts on a task's timeline: one entry per delivery batch, naming who was told
on which channels ("已通知 省人社厅联络员 张三（邮件、站内信）").

A receipt goes on a task's timeline only when the message was about that task alone. A digest
(a message about several tasks, or about none, such as the monthly 报送提醒) keeps its receipt
on its own record (the inbox message, the notifier's dispatch records): copied onto each
task it mentions, it would drown their timelines in each other's receipts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel
from task_ledger.adapters import repository as repo


@dataclass
class _Delivery:
    """The receipts of one notice (its source events) about one task, within one batch."""

    first_event_id: str
    at: datetime
    channels: dict[str, list[Channel]] = field(default_factory=dict)  # recipient → channels
    notification_ids: list[str] = field(default_factory=list)


class Receipts:
    """Gathers a batch's NotificationSent receipts and writes them as grouped entries."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, tuple[str, ...]], _Delivery] = {}

    def add(self, envelope: Envelope, message: ev.NotificationSent) -> None:
        if len(message.task_ids) != 1:
            return  # a digest: its receipt stays on its own record
        key = (message.task_ids[0], tuple(sorted(message.source_event_ids)))
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Delivery(str(envelope.event_id), message.at)
        group.at = max(group.at, message.at)
        channels = group.channels.setdefault(message.recipient_id, [])
        if message.channel not in channels:
            channels.append(message.channel)
        group.notification_ids.append(message.notification_id)

    async def entries(self, conn: AsyncConnection) -> list[dict[str, Any]]:
        if not self._groups:
            return []
        user_ids = sorted({u for g in self._groups.values() for u in g.channels})
        users = await repo.get_users(conn, user_ids)
        departments = await repo.get_departments(
            conn, sorted({u.department_id for u in users.values() if u.department_id})
        )
        entries = []
        for (task_id, source_ids), group in self._groups.items():
            told: dict[str, list[str]] = defaultdict(list)
            recipients = []
            for user_id, channels in group.channels.items():
                user = users.get(user_id)
                name = user.display_name if user else user_id
                where = ""
                if user is not None:
                    dept = departments.get(user.department_id or "")
                    where = f"{dept.name if dept else ''}{user.role.label}"
                who = f"{where} {name}".strip()
                told[who] = [ch.label for ch in channels]
                recipients.append(
                    {"user_id": user_id, "name": who, "channels": [ch.value for ch in channels]}
                )
            people = "、".join(f"{who}（{'、'.join(chs)}）" for who, chs in told.items())
            entries.append(
                {
                    "task_id": task_id,
                    "at": group.at,
                    "kind": "delivered",
                    "summary": f"已通知 {people}"[:2000],
                    "actor_id": None,
                    "data": {
                        "event_type": ev.NotificationSent.EVENT_TYPE,
                        "recipients": recipients,
                        "notification_ids": group.notification_ids,
                        "source_event_ids": list(source_ids),
                    },
                    "source_event_id": group.first_event_id,
                }
            )
        return entries
