"""Queries on the watcher's tables. Every function runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters.tables import milestones, tasks, timers
from deadline_watcher.domain.timers import TimerSpec
from duban_common.db import dialect_insert


def timer_row(spec: TimerSpec) -> dict[str, Any]:
    return {
        "dedupe_key": spec.dedupe_key,
        "kind": spec.kind.value,
        "task_id": spec.task_id,
        "department_id": spec.department_id,
        "period": spec.period,
        "due_on": spec.due_on,
        "step": spec.step,
        "milestone": spec.milestone,
        "fire_at": spec.fire_at,
    }


async def add_timers(conn: AsyncConnection, specs: Iterable[TimerSpec]) -> None:
    """Insert timers; a dedupe key that exists already (pending or fired) is left alone."""
    rows = [timer_row(s) for s in specs]
    if rows:
        stmt = dialect_insert(conn, timers).on_conflict_do_nothing(index_elements=["dedupe_key"])
        await conn.execute(stmt, rows)


async def delete_pending_task_timers(
    conn: AsyncConnection,
    task_id: str,
    *,
    keep_due_on: date | None = None,
    keep_keys: Iterable[str] = (),
    now: datetime | None = None,
) -> int:
    """Delete a task's pending timers, except (when `keep_due_on` is given) those for that
    due date that are still planned, or already due: a timer missed while the watcher was
    down still fires, late, even if another event about the task is handled first."""
    stale = delete(timers).where(timers.c.task_id == task_id, timers.c.fired_at.is_(None))
    if keep_due_on is not None and now is not None:
        stale = stale.where(
            or_(
                timers.c.due_on.is_(None),
                timers.c.due_on != keep_due_on,
                and_(timers.c.fire_at > now, timers.c.dedupe_key.not_in(list(keep_keys))),
            )
        )
    result = await conn.execute(stale)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Task columns returned beside each claimed timer, prefixed to keep the names apart.
_TASK_FIELDS = [c.name for c in tasks.c if c.name != "updated_at"]
_TASK_COLUMNS = [tasks.c[name].label(f"task_{name}") for name in _TASK_FIELDS]
_TASK_LABELS = [(name, f"task_{name}") for name in _TASK_FIELDS]
_TIMER_FIELDS = [c.name for c in timers.c]

# Claim, mark and read in one statement. id = ANY(ARRAY(...)): the locked ids first, then
# primary-key lookups (a join there may be planned as a scan of every timer).
_PG_CLAIM = text(f"""
WITH claimed AS (
    UPDATE timers SET fired_at = :now, outcome = :outcome
    WHERE id = ANY(ARRAY(
        SELECT id FROM timers WHERE fired_at IS NULL AND fire_at <= :now
        ORDER BY fire_at LIMIT :limit FOR UPDATE SKIP LOCKED
    ))
    RETURNING {", ".join(_TIMER_FIELDS)}
)
SELECT claimed.*, {", ".join(f"tasks.{name} AS task_{name}" for name in _TASK_FIELDS)}
FROM claimed LEFT OUTER JOIN tasks ON tasks.task_id = claimed.task_id
ORDER BY claimed.fire_at, claimed.id
""")


async def claim_due_timers(
    conn: AsyncConnection, now: datetime, limit: int, outcome: str
) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    """Lock a batch of due, pending timers, oldest first, mark them fired with `outcome`, and
    return them with their tasks (one dict per task, shared by its timers).

    PostgreSQL: one statement, FOR UPDATE SKIP LOCKED, so replicas split the work and never
    fire one timer twice. SQLite: the transaction already holds the database's single write
    lock (BEGIN IMMEDIATE), so a plain select then update is just as safe.
    """
    if conn.dialect.name == "postgresql":
        params = {"now": now, "limit": limit, "outcome": outcome}
        rows = list((await conn.execute(_PG_CLAIM, params)).all())
    else:
        due = (
            select(timers.c.id)
            .where(timers.c.fired_at.is_(None), timers.c.fire_at <= now)
            .order_by(timers.c.fire_at)
            .limit(limit)
        )
        query = (
            select(timers, *_TASK_COLUMNS)
            .select_from(timers.outerjoin(tasks, tasks.c.task_id == timers.c.task_id))
            .where(timers.c.id.in_(due.scalar_subquery()))
            .order_by(timers.c.fire_at, timers.c.id)
        )
        rows = list((await conn.execute(query)).all())
        await mark_fired(conn, [r.id for r in rows], outcome, now)
    known: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.task_task_id is not None and row.task_task_id not in known:
            known[row.task_task_id] = {name: getattr(row, label) for name, label in _TASK_LABELS}
    return list(rows), known


async def mark_fired(
    conn: AsyncConnection, ids: Sequence[int], outcome: str, fired_at: datetime
) -> None:
    if ids:
        await conn.execute(
            update(timers).where(timers.c.id.in_(ids)).values(fired_at=fired_at, outcome=outcome)
        )


async def next_fire_at(conn: AsyncConnection) -> datetime | None:
    return await conn.scalar(select(func.min(timers.c.fire_at)).where(timers.c.fired_at.is_(None)))


# --- milestones (时间节点) --------------------------------------------------------------------


async def set_milestones(
    conn: AsyncConnection, task_id: str, given: Sequence[tuple[str, date, str]]
) -> None:
    """The task's milestones become `given` (key, due date, text): ones no longer given go,
    a moved one starts its ladder again, a done one stays done."""
    keys = [key for key, _, _ in given]
    await conn.execute(
        delete(milestones).where(milestones.c.task_id == task_id, milestones.c.key.not_in(keys))
    )
    known = {r.key: r for r in (await conn.execute(_of_task(task_id))).all()}
    for key, due_on, text_ in given:
        row = known.get(key)
        if row is None:
            await conn.execute(
                milestones.insert().values(task_id=task_id, key=key, due_on=due_on, text=text_)
            )
            continue
        values: dict[str, Any] = {"text": text_}
        if row.due_on != due_on:
            values.update(due_on=due_on, escalation_level=None)
        await conn.execute(
            update(milestones)
            .where(milestones.c.task_id == task_id, milestones.c.key == key)
            .values(values)
        )


def _of_task(task_id: str) -> Any:
    return select(milestones).where(milestones.c.task_id == task_id)


async def open_milestones(conn: AsyncConnection, task_id: str) -> list[Any]:
    query = select(milestones).where(
        milestones.c.task_id == task_id, milestones.c.done_at.is_(None)
    )
    return list((await conn.execute(query.order_by(milestones.c.due_on))).all())


async def close_milestones(
    conn: AsyncConnection, task_id: str, keys: Sequence[str], at: datetime
) -> int:
    result = await conn.execute(
        update(milestones)
        .where(
            milestones.c.task_id == task_id,
            milestones.c.key.in_(list(keys)),
            milestones.c.done_at.is_(None),
        )
        .values(done_at=at)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def milestones_of(
    conn: AsyncConnection, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """(task id, key) → the milestone's row, for a batch of fired timers."""
    wanted = set(pairs)
    if not wanted:
        return {}
    task_ids = sorted({task_id for task_id, _ in wanted})
    rows = (await conn.execute(select(milestones).where(milestones.c.task_id.in_(task_ids)))).all()
    names = [c.name for c in milestones.c]
    return {
        (r.task_id, r.key): {n: getattr(r, n) for n in names}
        for r in rows
        if (r.task_id, r.key) in wanted
    }


async def store_milestone_level(conn: AsyncConnection, task_id: str, key: str, level: str) -> None:
    await conn.execute(
        update(milestones)
        .where(milestones.c.task_id == task_id, milestones.c.key == key)
        .values(escalation_level=level)
    )
