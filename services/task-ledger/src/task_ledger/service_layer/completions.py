"""申请办结 with its evidence files, as the API and the pages both submit it: the files are
checked and stored through the attachment store (its type, size and count limits), then the
request is one command that records them with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import repository as repo
from task_ledger.domain import authz
from task_ledger.domain.errors import NotAllowed
from task_ledger.domain.model import CompletionRequest, User
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer.uow import Ledger
from task_ledger.service_layer.uploads import Upload, store_attachments


async def request_completion(
    ledger: Ledger,
    user: User,
    task_id: str,
    summary: str,
    *,
    evidence_notes: Sequence[str] = (),
    files: Sequence[Upload] = (),
    explanation: str = "",
    withdraw_extension: bool = False,
) -> CompletionRequest:
    async with ledger.reading() as conn:  # refuse before any file is stored
        task = await h.read_task(conn, user, task_id, "request_completion")
    if not authz.is_lead_liaison(user, task):
        raise NotAllowed("只有牵头单位可以申请办结")
    stored = await store_attachments(ledger.settings, files)
    return await h.request_completion(
        ledger,
        user,
        task_id,
        summary,
        evidence_notes,
        files=stored,
        explanation=explanation,
        withdraw_extension=withdraw_extension,
    )


async def completion_requests(ledger: Ledger, user: User, task_id: str) -> list[CompletionRequest]:
    """A task's completion requests, oldest first, with their evidence files."""
    async with ledger.reading() as conn:
        await h.read_task(conn, user, task_id, "list_completions")
        return await repo.list_completions(conn, task_id)


async def evidence_of(conn: AsyncConnection, request_ids: Sequence[str]) -> dict[str, list[Any]]:
    """Evidence files of completion requests by request id (the supervisor's approval cards;
    callers check the role)."""
    return dict(await repo.attachments_of(conn, None, request_ids))
