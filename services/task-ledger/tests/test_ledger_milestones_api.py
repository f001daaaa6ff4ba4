"""A supervisor edits a task's milestones (时间节点) after import, on the Inner Mongolia seed's
measure 10: a date moved and a text changed, one dropped, one added. The measure keeps the new
set, the watcher is told the whole set (task.milestones_set), the same edit twice announces
nothing, and the light follows the new dates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from ledger_helpers import SEEDS, Api

from duban_contracts import Envelope
from duban_contracts.events import TaskMilestonesSet

pytestmark = pytest.mark.integration

SEED = SEEDS / "003_719c3a43df115ca9.txt"


async def _announced(api: Api, task_id: str) -> list[TaskMilestonesSet]:
    found = [Envelope.from_bytes(x.body).open() for x in await api.outbox("task.milestones_set")]
    return [m for m in found if isinstance(m, TaskMilestonesSet) and m.task_id == task_id]


async def _measure_10_task(api: Api) -> str:
    done = await api.import_seed(SEED)
    [m10] = [m for m in done["preview"]["documents"][0]["measures"] if m["label"] == "10."]
    return str(m10["task_id"])


async def test_a_supervisor_moves_adds_and_drops_milestones(api: Api) -> None:
    sup = await api.login("supervisor")
    tid = await _measure_10_task(api)
    url = f"/api/tasks/{tid}/milestones"
    before = (await api.client.get(url, headers=sup)).json()
    assert [m["key"] for m in before] == ["ms-1", "ms-2", "ms-3"]
    wanted: dict[str, Any] = {
        "milestones": [
            {"key": "ms-2", "due_on": "2026-06-30", "text": "25%以上的农牧业旗县市拥有劳务品牌"},
            {"key": "ms-3", "due_on": before[2]["due_on"], "text": before[2]["text"]},
            {"due_on": "2026-09-30", "text": "完成劳务品牌中期评估"},
        ]
    }
    r = await api.client.put(url, json=wanted, headers=sup)
    assert r.status_code == 200, r.text
    after = r.json()
    assert [(m["key"], m["due_on"], m["done"]) for m in after] == [
        ("ms-2", "2026-06-30", False),
        ("ms-3", "2025-12-31", False),
        ("ms-4", "2026-09-30", False),
    ]
    assert (await api.client.get(url, headers=sup)).json() == after
    (_, edit) = await _announced(api, tid)  # the import's, then the edit's
    assert [(m.key, m.due_on) for m in edit.milestones] == [
        ("ms-2", date(2026, 6, 30)),
        ("ms-3", date(2025, 12, 31)),
        ("ms-4", date(2026, 9, 30)),
    ]
    # The 2022 milestone is gone and 2023's moved to 2026: nothing lights the task red now.
    task = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    assert not [r for r in task["light_reasons"] if r.startswith("时间节点")]

    # The same set again: nothing changes, nothing is announced (a retried request is safe).
    r = await api.client.put(url, json=wanted, headers=sup)
    assert r.status_code == 200 and r.json() == after
    assert len(await _announced(api, tid)) == 2

    # Dropping them all tells the watcher too (an empty set).
    r = await api.client.put(url, json={"milestones": []}, headers=sup)
    assert r.status_code == 200 and r.json() == []
    last = (await _announced(api, tid))[-1]
    assert last.milestones == ()
    # A new one after that takes a fresh key: the dropped ones' keys are never reused.
    r = await api.client.put(
        url, json={"milestones": [{"due_on": "2026-03-31", "text": "补充摸底"}]}, headers=sup
    )
    assert [m["key"] for m in r.json()] == ["ms-5"]


async def test_milestone_edits_are_refused_clearly(api: Api) -> None:
    sup = await api.login("supervisor")
    tid = await _measure_10_task(api)
    url = f"/api/tasks/{tid}/milestones"
    refusals = [
        (
            {"milestones": [{"key": "ms-9", "due_on": "2026-01-01", "text": "x"}]},
            "没有这些时间节点",
        ),
        (
            {
                "milestones": [
                    {"key": "ms-1", "due_on": "2026-01-01", "text": "x"},
                    {"key": "ms-1", "due_on": "2026-02-01", "text": "y"},
                ]
            },
            "不能出现两次",
        ),
        ({"milestones": [{"due_on": "2026-01-01", "text": "   "}]}, "须写明"),
        ({"milestones": [{"due_on": "1900-01-01", "text": "x"}]}, "日期不合理"),
    ]
    for body, message in refusals:
        r = await api.client.put(url, json=body, headers=sup)
        assert 400 <= r.status_code < 500 and message in r.json()["detail"], r.text
    r = await api.client.put(
        url, json={"milestones": [{"due_on": "明年", "text": "x"}]}, headers=sup
    )
    assert r.status_code == 422
    assert len(await _announced(api, tid)) == 1  # only the import's
    assert [m["key"] for m in (await api.client.get(url, headers=sup)).json()] == [
        "ms-1",
        "ms-2",
        "ms-3",
    ]
    detail = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    liaison = await api.liaison_of(detail["lead_department_ids"][0])
    r = await api.client.put(url, json={"milestones": []}, headers=liaison)
    assert r.status_code == 403
    r = await api.client.put(
        "/api/tasks/no-such-task/milestones", json={"milestones": []}, headers=sup
    )
    assert r.status_code == 404
