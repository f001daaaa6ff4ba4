"""Large plan imports confirmed as a background job (issue #22): the import turns
"confirming", its measures are created in transactions of `import_batch_size` with the
progress stored in the same transaction (`GET /api/imports/{id}` shows it), and the event
loop serves other requests between batches. The import ends "confirmed", or back to
"previewed" with `job_error` if a batch fails (measures already created stay; confirming
again skips them, as ids derive from the document).

A job runs in the process that accepted it and holds a lease on the import, renewed with
each batch. If that process stops (a restart, a crash, a scale-down), the lease lapses and
another process — or the same one after its restart — takes the job over
(`resume_stalled`, run every RESUME_CHECK_SECONDS by `ImportResumer`): it goes on with the
measures not created yet, since a plan remembers the import that created it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from duban_common.logging import get_logger
from task_ledger.adapters import repository as repo
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.service_layer import cascade_preview, directory, imports
from task_ledger.service_layer.uow import Ledger, Transaction

log = get_logger(__name__)
T = TypeVar("T")
# The jobs this process runs (strong references until each ends): job → (ledger, import id).
_running: dict[asyncio.Task[None], tuple[Ledger, str]] = {}
_in_flight: set[asyncio.Future[Any]] = set()  # batch transactions a stopped job lets finish

LEASE = timedelta(seconds=60)  # a job renews it with every batch (a batch takes ~1 s)
RESUME_CHECK_SECONDS = 30.0


async def confirm(ledger: Ledger, actor: User, import_id: str) -> dict[str, Any]:
    """Confirm at once, or, for a large import, start its job and answer "confirming"."""
    async with ledger.reading() as conn:
        row = imports.check_owner(actor, await repo.get_plan_import(conn, import_id))
    total = sum(repo.measure_counts(row.preview).values())
    if row.status == "confirming":
        raise DomainError("该方案正在后台导入，请稍候查看进度")
    if row.status == "confirmed" or total <= ledger.settings.import_background_measures:
        return await imports.confirm(ledger, actor, import_id)
    async with ledger.transaction() as tx:
        claimed = await repo.claim_import(tx.conn, import_id, total, tx.now + LEASE)
        if not claimed:
            raise DomainError("该方案正在后台导入，请稍候查看进度")
        tx.audit(actor.id, "plan_import.confirm_started", "plan_import", import_id, None, {})
    _start(ledger, actor, import_id)
    return {"import_id": import_id, "status": "confirming", "done": 0, "total": total}


def _start(ledger: Ledger, actor: User, import_id: str) -> None:
    job = asyncio.create_task(_run(ledger, actor, import_id), name=f"import-{import_id}")
    _running[job] = (ledger, import_id)
    job.add_done_callback(lambda done: _running.pop(done, None))


async def stop_jobs(ledger: Ledger) -> list[str]:
    """At shutdown: stop `ledger`'s jobs once the batch each is storing has committed, and
    release their leases, so another process takes them over at its next check instead of
    after LEASE. The ids of the stopped imports."""
    jobs = {job: import_id for job, (owner, import_id) in _running.items() if owner is ledger}
    for job in jobs:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)
    await finish_in_flight()
    if jobs:
        try:
            async with ledger.transaction() as tx:
                for import_id in jobs.values():
                    await repo.release_import_lease(tx.conn, import_id)
        except Exception as exc:  # the database away: the leases lapse in LEASE instead
            log.warning("plan_import_lease_not_released", error=repr(exc))
    return list(jobs.values())


async def finish_in_flight() -> None:
    """Until the batch transactions of stopped jobs have ended."""
    await asyncio.gather(*list(_in_flight), return_exceptions=True)


async def _to_the_end(transaction: Awaitable[T]) -> T:
    """Run a batch's transaction to its commit or rollback even when the job is stopped: a
    transaction cut in the middle of a statement leaves its connection to be discarded with
    the statement still open, and on SQLite that connection keeps the database's write lock
    until the garbage collector finds it."""
    batch = asyncio.ensure_future(transaction)
    _in_flight.add(batch)
    batch.add_done_callback(_in_flight.discard)
    return await asyncio.shield(batch)


async def resume_stalled(ledger: Ledger) -> list[str]:
    """Take over the jobs whose process stopped renewing their lease; their ids."""
    async with ledger.transaction() as tx:
        taken = await repo.claim_stalled_imports(tx.conn, tx.now, tx.now + LEASE)
        users = await repo.get_users(tx.conn, [uploader for _, uploader in taken])
    for import_id, uploader in taken:
        actor = users.get(uploader)
        if actor is None:  # the uploader was removed: the import waits for someone else
            async with ledger.transaction() as tx:
                await repo.set_import_progress(
                    tx.conn,
                    import_id,
                    status="previewed",
                    job_error="后台导入中断：上传人已不存在，请重新确认导入",
                )
            continue
        log.warning("plan_import_job_resumed", import_id=import_id)
        _start(ledger, actor, import_id)
    return [import_id for import_id, _ in taken]


class ImportResumer:
    """A service loop: resumes stalled import jobs at start and every RESUME_CHECK_SECONDS."""

    def __init__(self, ledger: Ledger, interval: float = RESUME_CHECK_SECONDS) -> None:
        self.ledger = ledger
        self.interval = interval

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await resume_stalled(self.ledger)
            except Exception as exc:  # the database away: try again next round
                log.warning("import_resume_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)


@dataclass
class _Job:
    """One background confirmation. Its `Confirmation` counts what the job has created
    across its batches; each batch's transaction is set on it in turn."""

    ledger: Ledger
    actor: User
    import_id: str
    run: imports.Confirmation | None = None

    def confirmation(self, tx: Transaction) -> imports.Confirmation:
        if self.run is None:
            self.run = imports.Confirmation(tx, self.actor, self.import_id)
        self.run.tx = tx
        return self.run

    async def store_batch(
        self, doc: dict[str, Any], batch: list[dict[str, Any]], *, first: bool, done: int
    ) -> None:
        """The batch's measures not created yet, and the progress, in one transaction."""
        async with self.ledger.transaction() as tx:
            run = self.confirmation(tx)
            if first and not await repo.plan_exists(tx.conn, doc["plan_id"]):
                await imports.insert_plan(run, doc)
            known = await repo.existing_measures(tx.conn, [m["id"] for m in batch])
            for m in batch:
                if m["id"] not in known:
                    await imports.insert_measure(run, doc, m)
            await repo.set_import_progress(
                tx.conn, self.import_id, progress_done=done, job_lease_until=tx.now + LEASE
            )

    async def renew_lease(self, done: int) -> None:
        async with self.ledger.transaction() as tx:
            await repo.set_import_progress(
                tx.conn, self.import_id, progress_done=done, job_lease_until=tx.now + LEASE
            )


async def _run(ledger: Ledger, actor: User, import_id: str) -> None:
    job = _Job(ledger, actor, import_id)
    try:
        async with ledger.reading() as conn:
            row = await repo.get_plan_import(conn, import_id)
        counts = repo.measure_counts(row.preview if row else None)
        # The documents without their measures: a batch reads its own (memory stays bounded).
        documents = (row.preview or {}).get("documents", []) if row else []
        size, done = ledger.settings.import_batch_size, 0
        created_here = []
        for d, doc in enumerate(documents):
            async with ledger.reading() as conn:
                # A plan another import created is left as it is (its measures included).
                fresh = await repo.plan_is_new_to(conn, doc["plan_id"], import_id)
            if fresh:
                created_here.append(doc)
            for start in range(0, max(counts.get(d, 0), 1), size):
                async with ledger.reading() as conn:
                    batch = await repo.preview_measures(conn, import_id, d, start, size)
                done += len(batch)
                if fresh:
                    await _to_the_end(job.store_batch(doc, batch, first=start == 0, done=done))
                else:
                    await _to_the_end(job.renew_lease(done))
                await asyncio.sleep(0)  # let the loop serve requests between batches
        async with ledger.transaction() as tx:
            run = job.confirmation(tx)
            await directory.add_demo_liaisons(tx, ledger.settings, run.new_departments)
            for doc in created_here:  # the superior plan and measure links chosen in the preview
                await cascade_preview.store_confirmed_preview(tx, actor, doc)
            await repo.confirm_plan_import(tx.conn, import_id, [d["plan_id"] for d in documents])
            tx.audit(actor.id, "plan_import.confirm", "plan_import", import_id, None, run.created)
            if run.new_plans and authz.plan_scope(actor) is not None:
                await directory.widen_scope(tx, actor, run.new_plans)
    except Exception as exc:
        log.exception("plan_import_job_failed", import_id=import_id)
        async with ledger.transaction() as tx:
            await repo.set_import_progress(
                tx.conn,
                import_id,
                status="previewed",
                job_error=f"后台导入中断：{str(exc)[:200]}，可重新确认导入（已导入的部分不会重复）",
            )
