"""My in-app inbox (站内信): paged, filtered by kind, marked read one by one or all at once."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response

from task_ledger.entrypoints import paging
from task_ledger.entrypoints.bulk_models import MarkedRead
from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.responses import Changed, InboxMessageOut
from task_ledger.service_layer import inbound, queries

router = APIRouter(prefix="/me/inbox", tags=["inbox"])

InboxKind = Literal["remind", "urge", "escalation", "notice", "report"]


@router.get("", summary="站内信（分页，可按类别筛选；总数见 X-Total-Count）")
async def my_inbox(
    request: Request,
    response: Response,
    ledger: LedgerDep,
    me: CurrentUser,
    unread: bool = False,
    kind: InboxKind | None = None,
    page: paging.Page = 1,
    page_size: paging.PageSize = 50,
) -> list[InboxMessageOut]:
    rows, total, _ = await queries.inbox_page(ledger, me, unread, kind, page, page_size)
    paging.announce(request, response, page, page_size, total)
    return [InboxMessageOut.of(r) for r in rows]


@router.post("/read-all", summary="全部标记已读")
async def mark_all_read(ledger: LedgerDep, me: CurrentUser) -> MarkedRead:
    return MarkedRead(marked=await inbound.mark_all_read(ledger, me.id))


@router.post("/{message_id}/read", summary="标记已读")
async def mark_read(ledger: LedgerDep, me: CurrentUser, message_id: str) -> Changed:
    return Changed(changed=await inbound.mark_read(ledger, me.id, message_id))
