"""Plans, their measures, and plan imports (upload → preview → confirm)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import tables as t
from task_ledger.domain.model import Measure, Plan


async def plan_exists(conn: AsyncConnection, plan_id: str) -> bool:
    return (
        await conn.execute(select(t.plans.c.id).where(t.plans.c.id == plan_id))
    ).first() is not None


async def plan_is_new_to(conn: AsyncConnection, plan_id: str, import_id: str) -> bool:
    """Whether the import may create the plan's measures: the plan does not exist yet, or this
    import created it (its job was interrupted, or failed and was confirmed again)."""
    row = (await conn.execute(select(t.plans.c.import_id).where(t.plans.c.id == plan_id))).first()
    return row is None or row.import_id == import_id


async def plan_title(conn: AsyncConnection, plan_id: str) -> str | None:
    return await conn.scalar(select(t.plans.c.title).where(t.plans.c.id == plan_id))


async def find_plans(
    conn: AsyncConnection, plan: str, scope: Sequence[str] | None = None
) -> list[Any]:
    """Plans (id, title) whose id is `plan` or whose title contains it, among `scope` (None:
    all)."""
    query = select(t.plans.c.id, t.plans.c.title).where(
        or_(t.plans.c.id == plan, t.plans.c.title.contains(plan))
    )
    if scope is not None:
        query = query.where(t.plans.c.id.in_(scope))
    return list((await conn.execute(query)).all())


async def insert_plan(
    conn: AsyncConnection, plan: Plan, now: datetime, import_id: str | None = None
) -> None:
    await conn.execute(
        insert(t.plans).values(
            id=plan.id,
            import_id=import_id,
            title=plan.title,
            doc_number=plan.doc_number,
            jurisdiction=plan.jurisdiction,
            issuers=list(plan.issuers),
            issued_on=plan.issued_on,
            due_on=plan.due_on,
            created_at=now,
        )
    )


async def insert_measure(conn: AsyncConnection, measure: Measure, position: int) -> None:
    await conn.execute(
        insert(t.measures).values(
            id=measure.id,
            plan_id=measure.plan_id,
            position=position,
            label=measure.label,
            path=list(measure.path),
            title=measure.title,
            text=measure.text,
            due_on=measure.due_on,
            targets=measure.targets,
            milestones=measure.milestones,
        )
    )


async def insert_plan_import(
    conn: AsyncConnection,
    import_id: str,
    filename: str,
    sha256: str,
    created_by: str,
    header: dict[str, Any],
    now: datetime,
) -> None:
    """A new import whose preview's measures are stored (`insert_measure_rows`) apart from
    `header`: the preview without them (`previews.header_of`)."""
    await conn.execute(
        insert(t.plan_imports).values(
            id=import_id,
            filename=filename,
            sha256=sha256,
            created_by=created_by,
            created_at=now,
            preview=header,
            status="previewed",
        )
    )


async def get_plan_import(conn: AsyncConnection, import_id: str) -> Any:
    return (
        await conn.execute(select(t.plan_imports).where(t.plan_imports.c.id == import_id))
    ).first()


async def confirm_plan_import(conn: AsyncConnection, import_id: str, plan_ids: list[str]) -> None:
    await conn.execute(
        update(t.plan_imports)
        .where(t.plan_imports.c.id == import_id)
        .values(status="confirmed", plan_ids=plan_ids)
    )


async def set_import_progress(conn: AsyncConnection, import_id: str, **values: Any) -> None:
    """Status and progress of an import confirmed in the background."""
    await conn.execute(
        update(t.plan_imports).where(t.plan_imports.c.id == import_id).values(**values)
    )


async def existing_measures(conn: AsyncConnection, ids: list[str]) -> set[str]:
    rows = await conn.execute(select(t.measures.c.id).where(t.measures.c.id.in_(ids)))
    return {r.id for r in rows}


async def claim_import(
    conn: AsyncConnection, import_id: str, total: int, lease_until: datetime
) -> bool:
    """Mark a previewed import "confirming" (one job per import, even across processes)."""
    result = await conn.execute(
        update(t.plan_imports)
        .where(t.plan_imports.c.id == import_id, t.plan_imports.c.status == "previewed")
        .values(
            status="confirming",
            progress_done=0,
            progress_total=total,
            job_error=None,
            job_lease_until=lease_until,
        )
    )
    return bool(result.rowcount)


async def release_import_lease(conn: AsyncConnection, import_id: str) -> None:
    """A job stopped at shutdown: any process may take it over at once."""
    await conn.execute(
        update(t.plan_imports)
        .where(t.plan_imports.c.id == import_id, t.plan_imports.c.status == "confirming")
        .values(job_lease_until=None)
    )


async def claim_stalled_imports(
    conn: AsyncConnection, now: datetime, lease_until: datetime
) -> list[tuple[str, str]]:
    """(import id, uploader) of the jobs whose process stopped renewing their lease, now
    leased to the caller: a conditional update, so two processes never take the same job."""
    t_ = t.plan_imports
    stalled = (
        await conn.execute(
            select(t_.c.id, t_.c.created_by).where(
                t_.c.status == "confirming",
                or_(t_.c.job_lease_until.is_(None), t_.c.job_lease_until < now),
            )
        )
    ).all()
    taken = []
    for row in stalled:
        result = await conn.execute(
            update(t_)
            .where(
                t_.c.id == row.id,
                t_.c.status == "confirming",
                or_(t_.c.job_lease_until.is_(None), t_.c.job_lease_until < now),
            )
            .values(job_lease_until=lease_until)
        )
        if result.rowcount:
            taken.append((str(row.id), str(row.created_by)))
    return taken
