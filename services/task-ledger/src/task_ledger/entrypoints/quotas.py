"""Rate-limited API routes declare `dependencies=[limited("<kind>")]`: the write counts
against the user's limit before the route runs (`service_layer.rate_limits`)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.service_layer import rate_limits


def limited(action: str) -> Any:
    async def count(ledger: LedgerDep, me: CurrentUser) -> User:
        await rate_limits.count(ledger, me, action)
        return me

    return Depends(count)
