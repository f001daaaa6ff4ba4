"""Queries on the watcher's tables. Every function runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters.outgoing import OutgoingEvent
from deadline_watcher.adapters.tables import outbox, tasks, timers
from deadline_watcher.domain.timers import TimerSpec
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
_TIMER_FIELDS = [c.name for c in timers.c]

# Claim, mark and read in one statement. id = ANY(ARRAY(...)): the locked ids first, then
# primary-key lookups (a join there may be planned as a scan of every timer).
_PG_CLAIM = f"""
WITH claimed AS (
    UPDATE timers SET fired_at = %(now)s, outcome = %(outcome)s
    WHERE id = ANY(ARRAY(
        SELECT id FROM timers WHERE fired_at IS NULL AND fire_at <= %(now)s
        ORDER BY fire_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
    ))
    RETURNING {", ".join(_TIMER_FIELDS)}
)
SELECT claimed.*, {", ".join(f"tasks.{name} AS task_{name}" for name in _TASK_FIELDS)}
FROM claimed LEFT OUTER JOIN tasks ON tasks.task_id = claimed.task_id
ORDER BY claimed.fire_at, claimed.id
"""


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
        # On the driver's connection, in binary: a batch's rows are decoded by psycopg alone.
        raw = (await conn.get_raw_connection()).driver_connection
        cursor = raw.cursor(row_factory=namedtuple_row, binary=True)  # type: ignore[union-attr]
        await cursor.execute(_PG_CLAIM, {"now": now, "limit": limit, "outcome": outcome})
        rows = await cursor.fetchall()
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
        rows = (await conn.execute(query)).all()
        await mark_fired(conn, [r.id for r in rows], outcome, now)
    known: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.task_task_id is not None and row.task_task_id not in known:
            known[row.task_task_id] = {name: getattr(row, label) for name, label in _TASK_LABELS}
    return list(rows), known


async def append_outbox(conn: AsyncConnection, events: Sequence[OutgoingEvent | Envelope]) -> None:
    """The outbox rows `duban_common.outbox.append` writes; on PostgreSQL one array insert
    (the scheduler writes up to a batch per transaction; row-by-row inserts dominated it)."""
    rows = [e if isinstance(e, OutgoingEvent) else OutgoingEvent.of(e) for e in events]
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await conn.execute(
            insert(outbox),
            [
                {
                    "event_id": r.event_id,
                    "event_type": r.event_type,
                    "topic": r.topic,
                    "key": r.key,
                    "body": r.body,
                }
                for r in rows
            ],
        )
        return
    # Straight on the driver's connection (same transaction) to send the arrays in binary:
    # hex-escaping the bodies as text took most of the time.
    raw = (await conn.get_raw_connection()).driver_connection
    await raw.execute(  # type: ignore[union-attr]
        "INSERT INTO outbox (event_id, event_type, topic, key, body)"
        " SELECT * FROM unnest(%b::varchar[], %b::varchar[], %b::varchar[], %b::varchar[],"
        " %b::bytea[])",
        (
            [r.event_id for r in rows],
            [r.event_type for r in rows],
            [r.topic for r in rows],
            [r.key for r in rows],
            [r.body for r in rows],
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
