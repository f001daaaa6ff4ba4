"""`make demo`'s summary: who got what per light and per decision, from the notifier's store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from duban.demo_summary import summary_lines, who_got_what
from duban_common.migrations import upgrade

pytestmark = pytest.mark.unit


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "notifier.db"
    upgrade(f"sqlite:///{path}", "notifier.adapters.migrations")
    users = [
        ("u-liaison", "人社厅联络员", "liaison", "d-hrss"),
        ("u-head", "人社厅分管领导", "department_head", "d-hrss"),
        ("u-sup", "督查室", "supervisor", None),
    ]
    # (notification, recipient, channel, status, [(source event, kind, facts)])
    deliveries = [
        ("n1", "u-liaison", "email", "sent", [("e-orange-1", "escalation", {"level": "orange"})]),
        ("n2", "u-liaison", "inbox", "sent", [("e-orange-1", "escalation", {"level": "orange"})]),
        ("n3", "u-head", "inbox", "sent", [("e-orange-1", "escalation", {"level": "orange"})]),
        # The supervisor's digest: two tasks' 橙 in one message.
        (
            "n4",
            "u-sup",
            "inbox",
            "sent",
            [
                ("e-orange-1", "escalation", {"level": "orange"}),
                ("e-orange-2", "escalation", {"level": "orange"}),
            ],
        ),
        ("n5", "u-liaison", "inbox", "sent", [("e-ret", "decision", {"decision_label": "退回"})]),
        ("n6", "u-sup", "inbox", "sent", [("e-req", "request", {})]),
        # Not sent (yet): not counted.
        ("n7", "u-head", "inbox", "pending", [("e-red", "escalation", {"level": "red"})]),
    ]
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO users (user_id, display_name, role, department_id, channels, active, "
            "plan_ids) VALUES (?, ?, ?, ?, 'inbox', 1, '')",
            users,
        )
        key = 0
        for notification_id, recipient, channel, status, items in deliveries:
            db.execute(
                "INSERT INTO deliveries (notification_id, recipient_id, channel, kind, urgent, "
                "status, attempts, next_attempt_at, created_at) "
                "VALUES (?, ?, ?, ?, 1, ?, 1, '2026-01-20 02:00:00', '2026-01-20 02:00:00')",
                (notification_id, recipient, channel, items[0][1], status),
            )
            for source, kind, facts in items:
                key += 1
                db.execute(
                    "INSERT INTO delivery_items (notification_id, dedupe_key, source_event_id, "
                    "kind, task_id, facts) VALUES (?, ?, ?, ?, 't', ?)",
                    (notification_id, f"k{key}", source, kind, json.dumps(facts)),
                )
    return path


def test_the_summary_counts_people_items_and_messages_per_light_and_decision(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    table = who_got_what(store)
    orange = table["升级督办"]["橙"]
    assert {role: len(r.people) for role, r in orange.items()} == {
        "liaison": 1,
        "department_head": 1,
        "supervisor": 1,
    }
    assert len(orange["supervisor"].items) == 2  # two tasks in one digest
    assert "红" not in table["升级督办"]  # pending deliveries are not counted
    lines = summary_lines(store)
    assert "    督查 1人，2项，汇总发送：站内信1封" in lines
    assert "    联络员 1人，1项：邮件1封、站内信1封" in lines
    assert "  退回：" in lines and "  新的办结/延期申请：" in lines
    assert "  红：无" in lines
