"""Queries on the watcher's tables. Every function runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters.tables import outbox, tasks, timers
from deadline_watcher.domain.timers import TimerSpec
from duban_common import outbox as outbox_lib
from duban_contracts import Envelope


def dialect_insert(conn: AsyncConnection, table: Any) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def timer_row(spec: TimerSpec) -> dict[str, Any]:
    return {
        "dedupe_key": spec.dedupe_key,
        "kind": spec.kind.value,
        "task_id": spec.task_id,
        "department_id": spec.department_id,
        "period": spec.period,
        "due_on": spec.due_on,
        "step": spec.step,
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


async def claim_due_timers(
    conn: AsyncConnection, now: datetime, limit: int, outcome: str
) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    """Lock a batch of due, pending timers, oldest first, mark them fired with `outcome`, and
    return them with their tasks (one dict per task, shared by its timers).

    PostgreSQL: one statement, FOR UPDATE SKIP LOCKED, so replicas split the work and never
    fire one timer twice. SQLite: the transaction already holds the database's single write
    lock (BEGIN IMMEDIATE), so a plain select then update is just as safe.
    """
    due = (
        select(timers.c.id)
        .where(timers.c.fired_at.is_(None), timers.c.fire_at <= now)
        .order_by(timers.c.fire_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        # id = ANY(ARRAY(...)): the locked ids first, then primary-key lookups (a join here
        # may be planned as a scan of every timer).
        locked = func.array(due.with_for_update(skip_locked=True).scalar_subquery())
        claimed = (
            update(timers)
            .where(timers.c.id == func.any(locked))
            .values(fired_at=now, outcome=outcome)
            .returning(*timers.c)
            .cte("claimed")
        )
        query = (
            select(claimed, *_TASK_COLUMNS)
            .select_from(claimed.outerjoin(tasks, tasks.c.task_id == claimed.c.task_id))
            .order_by(claimed.c.fire_at, claimed.c.id)
        )
        rows = (await conn.execute(query)).all()
    else:
        query = (
            select(timers, *_TASK_COLUMNS)
            .select_from(timers.outerjoin(tasks, tasks.c.task_id == timers.c.task_id))
            .where(timers.c.id.in_(due.scalar_subquery()))
            .order_by(timers.c.fire_at, timers.c.id)
        )
        rows = (await conn.execute(query)).all()
        await mark_fired(conn, [r.id for r in rows], outcome, now)
    known: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.task_task_id is not None and row.task_task_id not in known:
            values = row._mapping
            known[row.task_task_id] = {name: values[label] for name, label in _TASK_LABELS}
    return list(rows), known


async def append_outbox(conn: AsyncConnection, envelopes: Sequence[Envelope]) -> None:
    """`duban_common.outbox.append`, with one array insert on PostgreSQL: the scheduler
    writes up to a batch of events per transaction, and row-by-row inserts dominated it."""
    if not envelopes:
        return
    if conn.dialect.name != "postgresql":
        await outbox_lib.append(conn, outbox, envelopes)
        return
    # Straight on the driver's connection (same transaction) to send the arrays in binary:
    # hex-escaping the bodies as text took most of the time.
    raw = (await conn.get_raw_connection()).driver_connection
    await raw.execute(  # type: ignore[union-attr]
        "INSERT INTO outbox (event_id, event_type, topic, key, body)"
        " SELECT * FROM unnest(%b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[],"
        " %b::bytea[])",
        (
            [str(e.event_id) for e in envelopes],
            [e.event_type for e in envelopes],
            [e.topic for e in envelopes],
            [e.key for e in envelopes],
            [e.to_bytes() for e in envelopes],
        ),
        binary=True,
    )


async def mark_fired(
    conn: AsyncConnection, ids: Sequence[int], outcome: str, fired_at: datetime
) -> None:
    if ids:
        await conn.execute(
            update(timers).where(timers.c.id.in_(ids)).values(fired_at=fired_at, outcome=outcome)
        )


async def next_fire_at(conn: AsyncConnection) -> datetime | None:
    return await conn.scalar(select(func.min(timers.c.fire_at)).where(timers.c.fired_at.is_(None)))
