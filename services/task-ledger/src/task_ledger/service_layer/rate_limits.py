"""Per-user write rate limits (issue #22): each write of a limited kind counts in a fixed
window kept in the database (`write_quota`), so several ledger processes share one count.
Limits and the window come from settings (`write_limits`, `write_limit_window_seconds`).

A command counts in its own write transaction (`count_in`, e.g. a progress report through
the command frame's `counted_as`), so a refused or failed write does not count and costs no
transaction of its own; in a write batch the count waits for the batch's commit, one statement
for all its writes (`uow.Transaction.flush`). A write that must be refused before work outside
the database (storing uploaded files, parsing a plan) counts first in a transaction of its own
(`count`).

Windows follow the wall clock, not the ledger's business clock: a limit is about requests
per real minute, also when a demo or a test moves the business date."""

from __future__ import annotations

import time
from collections.abc import Callable

from task_ledger.adapters import repository as repo
from task_ledger.domain.errors import RateLimited
from task_ledger.domain.model import User
from task_ledger.service_layer.uow import Ledger, Transaction, WriteCount
from task_ledger.settings import Settings

wall_clock: Callable[[], float] = time.time  # seconds since the epoch; tests replace it

LABELS = {
    "progress_report": "进展填报",
    "plan_import": "方案导入",
    "user_create": "新增用户",
    "reminder": "催办",
    "request": "办结或延期申请",
    "notice": "督办单操作",
}


async def count(ledger: Ledger, user: User, action: str) -> None:
    """Count one write of `action` by `user` in a transaction of its own; RateLimited when it
    is over the limit."""
    if ledger.settings.write_limits.get(action, 0) > 0:
        async with ledger.transaction() as tx:
            await count_in(tx, ledger.settings, user, action)


async def count_in(tx: Transaction, settings: Settings, user: User, action: str) -> None:
    """Count one write of `action` by `user` in the write's own transaction; RateLimited
    (which rolls the transaction back, the count with it) when it is over the limit."""
    limit = settings.write_limits.get(action, 0)
    if limit <= 0:
        return
    window = settings.write_limit_window_seconds
    now = int(wall_clock())
    start = now - now % window
    if tx.count_at_commit:  # a write batch counts its writes together (Transaction.flush)
        tx.write_counts.append(WriteCount(user.id, action, limit, start))
        return
    done = await repo.count_write(tx.conn, user.id, action, start)
    if done > limit:
        retry_after = max(1, start + window - now)
        raise RateLimited(
            f"操作过于频繁：每 {window} 秒最多 {limit} 次{LABELS.get(action, '写入')}，"
            f"请 {retry_after} 秒后再试",
            retry_after,
        )
