"""My in-app inbox (站内信)."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.responses import Changed, InboxMessageOut
from task_ledger.service_layer import inbound, queries

router = APIRouter(prefix="/me/inbox", tags=["inbox"])


@router.get("", summary="站内信")
async def my_inbox(
    ledger: LedgerDep, me: CurrentUser, unread: bool = False
) -> list[InboxMessageOut]:
    return [InboxMessageOut.of(r) for r in await queries.inbox(ledger, me, unread)]


@router.post("/{message_id}/read", summary="标记已读")
async def mark_read(ledger: LedgerDep, me: CurrentUser, message_id: str) -> Changed:
    return Changed(changed=await inbound.mark_read(ledger, me.id, message_id))
