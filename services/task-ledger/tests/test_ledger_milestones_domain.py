"""Milestones (时间节点) in the task's light (domain/milestones.py, domain/light.py): a dated
milestone not declared done by its day turns the task red and says why."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.domain.errors import DomainError
from task_ledger.domain.light import light, light_reasons
from task_ledger.domain.milestones import edited, keyed, milestones_due
from task_ledger.domain.model import Task

pytestmark = pytest.mark.unit

STORED = [
    {"due": "2022-12-31", "text": "开展劳务品牌摸底调查，建立劳务品牌台账"},
    {"due": None, "text": "长期坚持"},
    {"due": "2023-12-31", "text": "20%以上的农牧业旗县市拥有劳务品牌"},
]


def _task(done: tuple[str, ...], status: TaskStatus = TaskStatus.IN_PROGRESS) -> Task:
    return Task(
        id="t1",
        plan_id="p1",
        measure_id="m1",
        title="打造劳务品牌",
        lead_department_ids=("dep-1",),
        status=status,
        start_on=date(2022, 6, 1),
        due_on=date(2025, 12, 31),
        progress=60,
        milestones=milestones_due(STORED, done),
    )


def test_keys_follow_the_measures_order_and_skip_undated_milestones() -> None:
    assert [(m["key"], m["due_on"]) for m in keyed(STORED)] == [
        ("ms-1", date(2022, 12, 31)),
        ("ms-3", date(2023, 12, 31)),
    ]


def test_an_open_milestone_past_its_day_turns_the_task_red_with_the_reason() -> None:
    task = _task(done=("ms-1",))
    assert light(task, date(2023, 12, 31)) is Light.GREEN  # its very day is still in time
    assert light(task, date(2024, 1, 2)) is Light.RED
    assert light_reasons(task, date(2024, 1, 2)) == [
        "时间节点 2023-12-31 逾期未完成：20%以上的农牧业旗县市拥有劳务品牌"
    ]


def test_a_milestone_declared_done_no_longer_lights_and_finished_tasks_are_green() -> None:
    closed = _task(done=("ms-1", "ms-3"))
    assert light(closed, date(2024, 1, 2)) is Light.GREEN
    assert light_reasons(closed, date(2024, 1, 2)) == []
    finished = replace(_task(done=()), status=TaskStatus.COMPLETED)
    assert light(finished, date(2024, 1, 2)) is Light.GREEN
    assert light_reasons(finished, date(2024, 1, 2)) == []


def test_an_edit_keeps_keys_marks_dropped_ones_and_is_idempotent() -> None:
    wanted = [
        ("ms-3", date(2024, 6, 30), "25%以上的农牧业旗县市拥有劳务品牌"),
        (None, date(2024, 12, 31), "中期评估"),
    ]
    once = edited(STORED, wanted)
    assert [(m["key"], m["due_on"]) for m in keyed(once)] == [
        ("ms-3", date(2024, 6, 30)),
        ("ms-4", date(2024, 12, 31)),
    ]
    assert once[0]["dropped"] is True and once[1] == STORED[1]  # undated: left alone
    assert edited(once, wanted) == once
    with pytest.raises(DomainError, match="ms-1"):
        edited(once, [("ms-1", date(2024, 1, 1), "已删除的节点")])
