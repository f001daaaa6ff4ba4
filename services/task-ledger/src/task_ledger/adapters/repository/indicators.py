"""Indicators of tasks and the values reported for them (docs/indicators.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import Executable

from task_ledger.adapters import tables as t
from task_ledger.domain.indicators import (
    Aggregation,
    Checkpoint,
    Indicator,
    Kind,
    Tracked,
    aggregate,
)
from task_ledger.domain.milestones import MilestoneDue, milestones_due
from task_ledger.domain.model import Task

_INSERT_VALUE = insert(t.indicator_values)


def indicator_from(row: Any) -> Indicator:
    return Indicator(
        name=row.name,
        target=row.target,
        unit=row.unit,
        due=row.due_on,
        start=row.start_on,
        baseline=row.baseline,
        qualifier=row.qualifier,
        kind=Kind(row.kind),
        aggregation=Aggregation(row.aggregation),
        checkpoints=tuple(
            Checkpoint(date.fromisoformat(c["on"]), float(c["value"]))
            for c in row.checkpoints or ()
        ),
    )


async def insert_indicator(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(insert(t.indicators).values(values))


# Built once with bound parameters (read with every task shown; see task_records).
_ALL_INDICATORS = (
    select(t.indicators)
    .where(t.indicators.c.task_id.in_(bindparam("task_ids", expanding=True)))
    .order_by(t.indicators.c.task_id, t.indicators.c.position, t.indicators.c.id)
)
_INDICATORS = _ALL_INDICATORS.where(t.indicators.c.dropped.is_(False))
_VALUES = (
    select(t.indicator_values)
    .where(t.indicator_values.c.indicator_id.in_(bindparam("ids", expanding=True)))
    .order_by(t.indicator_values.c.id)
)
_MEASURE_MILESTONES = select(t.measures.c.id, t.measures.c.milestones).where(
    t.measures.c.id.in_(bindparam("ids", expanding=True))
)
_DONE = select(t.milestones_done.c.task_id, t.milestones_done.c.key).where(
    t.milestones_done.c.task_id.in_(bindparam("ids", expanding=True))
)


async def indicator_rows(
    conn: AsyncConnection, task_ids: Iterable[str], with_dropped: bool = False
) -> list[Any]:
    query = _ALL_INDICATORS if with_dropped else _INDICATORS
    return list((await conn.execute(query, {"task_ids": list(task_ids)})).all())


async def get_indicator_row(conn: AsyncConnection, indicator_id: str) -> Any:
    query = select(t.indicators).where(t.indicators.c.id == indicator_id)
    return (await conn.execute(query)).first()


async def update_indicator(
    conn: AsyncConnection, indicator_id: str, values: dict[str, Any]
) -> None:
    await conn.execute(update(t.indicators).where(t.indicators.c.id == indicator_id).values(values))


def value_writes(
    task_id: str,
    report_id: str,
    department_id: str,
    values: dict[str, float],
    now: datetime,
) -> list[tuple[Executable, Any]]:
    return [
        (
            _INSERT_VALUE,
            {
                "indicator_id": indicator_id,
                "task_id": task_id,
                "report_id": report_id,
                "department_id": department_id,
                "value": value,
                "at": now,
            },
        )
        for indicator_id, value in values.items()
    ]


async def value_history(conn: AsyncConnection, indicator_id: str) -> list[Any]:
    query = (
        select(t.indicator_values)
        .where(t.indicator_values.c.indicator_id == indicator_id)
        .order_by(t.indicator_values.c.id)
    )
    return list((await conn.execute(query)).all())


async def latest_values(
    conn: AsyncConnection, indicator_ids: Sequence[str]
) -> dict[str, dict[str, float]]:
    """indicator id → {reporting task id → its latest value}."""
    if not indicator_ids:
        return {}
    latest: dict[str, dict[str, float]] = {}
    for row in (await conn.execute(_VALUES, {"ids": list(indicator_ids)})).all():
        latest.setdefault(row.indicator_id, {})[row.task_id] = row.value
    return latest


def current_value(owner_task_id: str, how: Aggregation, by_task: dict[str, float]) -> float | None:
    """A decomposed task's value is its children's shares aggregated; otherwise its own."""
    shares = [v for task_id, v in by_task.items() if task_id != owner_task_id]
    if shares:
        return aggregate(shares, how)
    return by_task.get(owner_task_id)


# Ids per IN (...) list: long task lists stay under the drivers' limits on bound parameters.
CHUNK = 500


async def tracked_of(conn: AsyncConnection, task_ids: Iterable[str]) -> dict[str, list[Tracked]]:
    """task id → its indicators with their current values."""
    ids = list(task_ids)
    rows = []
    for start in range(0, len(ids), CHUNK):
        rows += await indicator_rows(conn, ids[start : start + CHUNK])
    latest: dict[str, dict[str, float]] = {}
    for start in range(0, len(rows), CHUNK):
        latest.update(await latest_values(conn, [r.id for r in rows[start : start + CHUNK]]))
    out: dict[str, list[Tracked]] = {}
    for r in rows:
        indicator = indicator_from(r)
        current = current_value(r.task_id, indicator.aggregation, latest.get(r.id, {}))
        out.setdefault(r.task_id, []).append(Tracked(r.id, indicator, current, r.source_text))
    return out


async def with_indicators(conn: AsyncConnection, tasks: list[Task]) -> list[Task]:
    """The tasks with their indicators and milestones loaded (for the light and the pages)."""
    if not tasks:
        return tasks
    tracked = await tracked_of(conn, [x.id for x in tasks])
    due = await milestones_of(conn, tasks)
    return [
        replace(x, indicators=tuple(tracked.get(x.id, ())), milestones=due.get(x.id, ()))
        for x in tasks
    ]


async def plan_milestones(
    conn: AsyncConnection, plan_id: str
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]]]:
    """A whole plan's stored milestones (measure id → list) and the keys declared done (task
    id → keys), in two queries (for the reports, which stream the plan's tasks)."""
    query = select(t.measures.c.id, t.measures.c.milestones).where(t.measures.c.plan_id == plan_id)
    stored = {r.id: list(r.milestones or []) for r in await conn.execute(query)}
    plan_tasks = select(t.tasks.c.id).where(t.tasks.c.plan_id == plan_id)
    done: dict[str, list[str]] = {}
    query = select(t.milestones_done.c.task_id, t.milestones_done.c.key).where(
        t.milestones_done.c.task_id.in_(plan_tasks)
    )
    for r in await conn.execute(query):
        done.setdefault(r.task_id, []).append(r.key)
    return stored, done


async def milestones_of(
    conn: AsyncConnection, tasks: Sequence[Task]
) -> dict[str, tuple[MilestoneDue, ...]]:
    """task id → its measure's dated milestones, each with whether it was declared done. Only
    a measure's own task has them (they are announced for it, not for the parts it was split
    into)."""
    roots = [x for x in tasks if x.parent_task_id is None]
    stored: dict[str, list[dict[str, Any]]] = {}
    measure_ids = list({x.measure_id for x in roots})
    for start in range(0, len(measure_ids), CHUNK):
        chunk = {"ids": measure_ids[start : start + CHUNK]}
        rows = await conn.execute(_MEASURE_MILESTONES, chunk)
        stored.update({r.id: list(r.milestones or []) for r in rows})
    with_any = [x.id for x in roots if stored.get(x.measure_id)]
    done: dict[str, list[str]] = {}
    for start in range(0, len(with_any), CHUNK):
        for r in await conn.execute(_DONE, {"ids": with_any[start : start + CHUNK]}):
            done.setdefault(r.task_id, []).append(r.key)
    return {
        x.id: milestones_due(stored[x.measure_id], done.get(x.id, ()))
        for x in roots
        if stored.get(x.measure_id)
    }


async def indicator_owner(conn: AsyncConnection, task: Task) -> str:
    """The task whose indicators ``task`` reports against: its own, else its nearest ancestor's
    (a child of a decomposed task reports its share)."""
    current: str | None = task.id
    parent_of = select(t.tasks.c.parent_task_id).where(t.tasks.c.id == bindparam("task_id"))
    while current is not None:
        if await indicator_rows(conn, [current]):
            return current
        current = await conn.scalar(parent_of, {"task_id": current})
    return task.id


# --- milestones (时间节点) --------------------------------------------------------------------


async def measure_milestones(conn: AsyncConnection, measure_id: str) -> list[dict[str, Any]]:
    found = await conn.scalar(select(t.measures.c.milestones).where(t.measures.c.id == measure_id))
    return list(found or [])


async def set_measure_milestones(
    conn: AsyncConnection, measure_id: str, milestones: list[dict[str, Any]]
) -> None:
    query = update(t.measures).where(t.measures.c.id == measure_id)
    await conn.execute(query.values(milestones=milestones))


async def milestones_done(conn: AsyncConnection, task_id: str) -> dict[str, Any]:
    """key → the row recording which report declared it done."""
    query = select(t.milestones_done).where(t.milestones_done.c.task_id == task_id)
    return {r.key: r for r in (await conn.execute(query)).all()}


def milestone_done_writes(
    task_id: str, report_id: str, keys: Sequence[str], now: datetime
) -> list[tuple[Executable, Any]]:
    return [
        (
            insert(t.milestones_done),
            {"task_id": task_id, "key": key, "report_id": report_id, "at": now},
        )
        for key in keys
    ]
