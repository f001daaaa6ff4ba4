"""Who got what in a demo run: the ladder per light (蓝/橙/红) and each kind of decision.

Read (read-only) from the notifier's own SQLite store of the demo's data directory: each
delivered message, the items it carried (a digest carries several) and its recipient's role.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from duban_contracts.vocabulary import Channel, EscalationLevel, Role

# Decision-like message kinds of the notifier, as people call them.
KIND_LABELS = {
    "dispatched": "交办/分解交办",
    "request": "新的办结/延期申请",
    "notice_issued": "督办单下发",
    "notice_answered": "督办单回复",
}


@dataclass
class Reach:
    """One step's recipients of one role: how many people, items and messages per channel."""

    people: set[str] = field(default_factory=set)
    items: set[tuple[str, str]] = field(default_factory=set)  # (recipient, source event)
    messages: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def line(self, role: str) -> str:
        channels = "、".join(
            f"{Channel(ch).label}{len(ids)}封" for ch, ids in sorted(self.messages.items())
        )
        most = max((len(ids) for ids in self.messages.values()), default=0)
        note = "，汇总发送" if len(self.items) > most else ""
        return f"{Role(role).label} {len(self.people)}人，{len(self.items)}项{note}：{channels}"


def who_got_what(notifier_db: Path) -> dict[str, dict[str, dict[str, Reach]]]:
    """{"升级督办": {"蓝": {role: Reach}}, "决定": {"退回": {role: Reach}, ...}}."""
    table: dict[str, dict[str, dict[str, Reach]]] = {
        "升级督办": defaultdict(lambda: defaultdict(Reach)),
        "决定与申请": defaultdict(lambda: defaultdict(Reach)),
    }
    with sqlite3.connect(f"file:{notifier_db}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT d.notification_id, d.recipient_id, d.channel, i.kind, i.facts, u.role, "
            "i.source_event_id "
            "FROM deliveries d JOIN delivery_items i ON i.notification_id = d.notification_id "
            "JOIN users u ON u.user_id = d.recipient_id WHERE d.status = 'sent'"
        ).fetchall()
    for notification_id, recipient, channel, kind, facts_json, role, source in rows:
        facts = json.loads(facts_json)
        if kind == "escalation":
            step = table["升级督办"][EscalationLevel(facts["level"]).label]
        elif kind == "decision":
            step = table["决定与申请"][facts["decision_label"]]
        elif kind in KIND_LABELS:
            step = table["决定与申请"][KIND_LABELS[kind]]
        else:
            continue
        reach = step[role]
        reach.people.add(recipient)
        reach.items.add((recipient, source))
        reach.messages[channel].add(notification_id)
    return table


def summary_lines(notifier_db: Path) -> list[str]:
    """The printed summary: per light, then per decision kind, who was told and how."""
    table = who_got_what(notifier_db)
    order = [level.label for level in EscalationLevel]
    lines = ["升级督办送达（按灯色）："]
    for light in order:
        roles = table["升级督办"].get(light, {})
        lines.append(f"  {light}：" + ("无" if not roles else ""))
        lines += [f"    {reach.line(role)}" for role, reach in sorted(roles.items())]
    lines.append("决定与申请送达（按类别）：")
    for kind, roles in sorted(table["决定与申请"].items()):
        lines.append(f"  {kind}：")
        lines += [f"    {reach.line(role)}" for role, reach in sorted(roles.items())]
    return lines
