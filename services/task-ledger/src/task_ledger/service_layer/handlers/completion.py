"""Completion (办结): the lead department requests it, a supervisor decides."""

from __future__ import annotations

from collections.abc import Sequence

from duban_contracts import events as ev
from duban_contracts.vocabulary import Decision
from task_ledger.adapters import repository as repo
from task_ledger.domain import authz, lifecycle
from task_ledger.domain.errors import NotFound
from task_ledger.domain.model import Attachment, CompletionRequest, User
from task_ledger.service_layer.handlers.extensions import withdraw
from task_ledger.service_layer.handlers.frame import decider, new_id, run_command
from task_ledger.service_layer.uow import Ledger


async def request_completion(
    ledger: Ledger,
    user: User,
    task_id: str,
    summary: str,
    evidence: Sequence[str],
    *,
    files: Sequence[Attachment] = (),
    explanation: str = "",
    withdraw_extension: bool = False,
) -> CompletionRequest:
    """申请办结. `files`: the evidence, already stored (`uploads.store_attachments`); with
    `withdraw_extension` a pending extension request is withdrawn in the same transaction
    instead of blocking the request."""
    async with run_command(
        ledger,
        user,
        task_id,
        action="request_completion",
        allowed=authz.is_lead_liaison,
        refusal="只有牵头单位可以申请办结",
        stored_as="task.request_completion",
    ) as c:
        children = await repo.get_children(c.tx.conn, c.task.id)
        pending = [r for r in await repo.list_extensions(c.tx.conn, c.task.id) if r.pending]
        if withdraw_extension:
            for extension in pending:
                await withdraw(c, extension)
        previous = lifecycle.request_completion(
            c.task,
            children,
            summary,
            explanation=explanation,
            evidence_files=len(files),
            extension_pending=bool(pending) and not withdraw_extension,
        )
        request = CompletionRequest(
            new_id("cmp"),
            c.task.id,
            user.id,
            summary,
            tuple(evidence),
            explanation=explanation.strip(),
            files=tuple(files),
        )
        await repo.insert_completion(c.tx.conn, request, c.tx.now)
        c.emit(
            ev.CompletionRequested(
                task_id=c.task.id,
                actor_id=user.id,
                request_id=request.id,
                summary=summary,
                # The event names every piece of evidence: the notes, then the files.
                evidence=(*evidence, *(f.filename for f in files))[:50],
                department_ids=c.task.lead_department_ids,
            )
        )
        c.status_changed(previous)
        c.timeline(
            "completion_requested",
            "申请办结",
            request_id=request.id,
            evidence_files=[f.filename for f in files],
        )
    return request


async def decide_completion(
    ledger: Ledger,
    user: User,
    task_id: str,
    request_id: str,
    decision: Decision,
    comment: str | None,
) -> CompletionRequest:
    async with run_command(
        ledger,
        user,
        task_id,
        action="decide_completion",
        allowed=decider,
        refusal="只有督查人员可以审核办结申请",
        stored_as="task.decide_completion",
    ) as c:
        requests = {r.id: r for r in await repo.list_completions(c.tx.conn, c.task.id)}
        request = requests.get(request_id)
        if request is None:
            raise NotFound("办结申请不存在")
        previous = lifecycle.decide_completion(c.task, request, decision, comment)
        await repo.store_completion_decision(
            c.tx.conn, request_id, decision, user.id, comment, c.tx.now
        )
        c.emit(
            ev.CompletionDecided(
                task_id=c.task.id,
                actor_id=user.id,
                request_id=request_id,
                decision=decision,
                comment=comment,
                department_ids=c.task.lead_department_ids,
            )
        )
        c.status_changed(previous, comment if decision == Decision.REJECTED else None)
        c.timeline(
            "completion_decided",
            f"办结审核：{decision.label}",
            request_id=request_id,
            comment=comment,
        )
    return request
