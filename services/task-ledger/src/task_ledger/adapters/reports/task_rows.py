"""A plan's task rows as the monthly report reads them: the columns by position, department
lists decoded once per distinct list, a full Task only on demand, and tree order (each child
right after its parent)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import String, type_coerce

from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain.model import Task

# What a Task is built from: not the row's time stamps, whose conversion cost a tenth of the
# report's time with 10,000 tasks.
# Department lists come as their JSON text and are decoded once per distinct list (a few
# hundred among 10,000 tasks; decoding each row's took a sixth of the report's time).
DEPARTMENT_LISTS = ("lead_department_ids", "supporting_department_ids")
# The columns every report reads come first, in this order, and are unpacked by position
# (reading them by name cost ~50 ms per 10,000 tasks); the rest only build a full Task.
REPORT_COLUMNS = (
    "id",
    "title",
    "measure_id",
    "parent_task_id",
    "progress",
    "due_on",
    "original_due_on",
    "start_on",
    "status",
)
TASK_COLUMNS = [
    *(t.tasks.c[name] for name in REPORT_COLUMNS),
    type_coerce(t.tasks.c.lead_department_ids, String).label("lead_ids_json"),
    type_coerce(t.tasks.c.supporting_department_ids, String).label("supporting_ids_json"),
    *(
        c
        for c in t.tasks.c
        if c.name not in ("created_at", "updated_at", *DEPARTMENT_LISTS, *REPORT_COLUMNS)
    ),
]


def department_ids(raw: str | list[str] | None) -> tuple[str, ...]:
    # asyncpg hands JSON over as text; a driver that decodes it already gives the list.
    return decoded_ids(raw) if isinstance(raw, str) else tuple(raw or ())


STATUSES = {s.value: s for s in TaskStatus}


class TaskRow:
    """What the report reads of a task row, with its status as a TaskStatus and its
    department lists decoded. The light is computed on it directly (it has what
    `light.HasSchedule` asks for): building a Task model per row, then reading the row through
    `__getattr__`, took over half of the report's time with 10,000 tasks; a Task is built only
    for the few tasks with indicators or milestones."""

    __slots__ = (
        "due_on",
        "id",
        "lead_department_ids",
        "measure_id",
        "original_due_on",
        "parent_task_id",
        "progress",
        "row",
        "start_on",
        "status",
        "supporting_department_ids",
        "title",
    )

    def __init__(self, row: Any) -> None:
        self.row = row
        (
            self.id,
            self.title,
            self.measure_id,
            self.parent_task_id,
            self.progress,
            self.due_on,
            self.original_due_on,
            self.start_on,
            status,
            lead_ids,
            supporting_ids,
        ) = row[:11]
        self.status = STATUSES[status]
        self.lead_department_ids = department_ids(lead_ids)
        self.supporting_department_ids = department_ids(supporting_ids)

    def task(self) -> Task:
        """The full domain Task (for a task whose indicators or milestones light it too)."""
        return repo.task_from(RowWithDepartments(self))


class RowWithDepartments:
    """The row as `repo.task_from` reads it: its columns, with the decoded department lists."""

    __slots__ = ("_task_row",)

    def __init__(self, task_row: TaskRow) -> None:
        self._task_row = task_row

    def __getattr__(self, name: str) -> Any:
        if name in ("lead_department_ids", "supporting_department_ids"):
            return getattr(self._task_row, name)
        return getattr(self._task_row.row, name)


@lru_cache(maxsize=4096)
def decoded_ids(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw) or ())


def in_tree_order(rows: list[TaskRow]) -> Iterator[tuple[TaskRow, int]]:
    """A measure's tasks in ledger order, each child task right after its parent: (task, 0)
    for a task, (child, n) for the parent's n-th child. A child whose parent is not in the
    measure is listed as a task of its own (its seq is its own)."""
    ids = {task.id for task in rows}
    children: dict[str, list[TaskRow]] = {}
    for task in rows:
        if task.parent_task_id in ids:
            children.setdefault(task.parent_task_id, []).append(task)

    def descendants(task: TaskRow) -> list[TaskRow]:
        return [d for c in children.get(task.id, ()) for d in (c, *descendants(c))]

    for task in rows:
        if task.parent_task_id not in ids:
            yield task, 0
            # Children and their own children, numbered in one run under the top task.
            for n, child in enumerate(descendants(task), start=1):
                yield child, n
