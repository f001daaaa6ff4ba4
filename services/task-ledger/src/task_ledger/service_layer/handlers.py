"""One function per command on a task: authorize, apply the domain rule, store, emit, audit.

Every function runs in one transaction (`Ledger.transaction`), so the change, its outbox
events, its timeline entries and its audit records are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import uuid6

from duban_contracts import commands as cmd
from duban_contracts import events as ev
from duban_contracts.vocabulary import Decision, EscalationLevel, TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain import authz, lifecycle
from task_ledger.domain.errors import DomainError, NotAllowed, NotFound
from task_ledger.domain.model import (
    Attachment,
    CompletionRequest,
    ExtensionRequest,
    ProgressReport,
    SupervisionNotice,
    Task,
    User,
)
from task_ledger.service_layer.uow import Ledger, Transaction


class AccessDenied(Exception):
    """The task does not exist for this user (not found, or another department's task).

    The HTTP layer answers 404 and writes the attempt to the audit trail."""

    def __init__(self, task_id: str, action: str, exists: bool) -> None:
        super().__init__(task_id)
        self.task_id = task_id
        self.action = action
        self.exists = exists


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid6.uuid7().hex}"


async def load_task(
    tx: Transaction, user: User, task_id: str, action: str, for_update: bool = True
) -> Task:
    task = await tx.task(task_id, for_update=for_update)
    if task is None or not authz.can_view_task(user, task):
        raise AccessDenied(task_id, action, exists=task is not None)
    return task


def require(condition: bool, message: str) -> None:
    if not condition:
        raise NotAllowed(message)


def _status_changed(
    tx: Transaction, task: Task, previous: TaskStatus, actor: User | None, reason: str | None = None
) -> None:
    actor_id = actor.id if actor else None
    tx.emit(
        ev.TaskStatusChanged(
            task_id=task.id,
            actor_id=actor_id,
            from_status=previous,
            to_status=task.status,
            reason=reason,
        )
    )
    summary = f"状态由“{previous.label}”变为“{task.status.label}”"
    tx.timeline(
        task.id,
        "status",
        summary + (f"：{reason}" if reason else ""),
        actor_id,
        from_status=previous.value,
        to_status=task.status.value,
    )


async def _store(
    tx: Transaction, task: Task, before: dict, actor: User | None, action: str
) -> None:
    tx.defer(repo.task_save(task, tx.now))
    tx.audit(actor.id if actor else None, action, "task", task.id, before, repo.task_snapshot(task))
    if task.parent_task_id:
        await _roll_up(tx, task.parent_task_id, actor)


async def _roll_up(tx: Transaction, parent_id: str, actor: User | None) -> None:
    await tx.write_deferred()  # the children are read from the database
    parent = await tx.task(parent_id)
    if parent is None:
        return
    before = repo.task_snapshot(parent)
    children = await repo.get_children(tx.conn, parent_id)
    old_progress = parent.progress
    previous = lifecycle.roll_up(parent, children)
    if previous is not None:
        _status_changed(tx, parent, previous, None, "下级任务已开始办理")
    if parent.progress != old_progress or previous is not None:
        tx.timeline(
            parent.id,
            "rollup",
            f"下级任务汇总进度 {parent.progress}%",
            None,
            percent=parent.progress,
        )
        await _store(tx, parent, before, actor, "task.roll_up")


# --- lifecycle -------------------------------------------------------------------------------
async def dispatch(ledger: Ledger, user: User, task_id: str) -> Task:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "dispatch")
        require(authz.is_decider(user), "只有督查人员可以交办任务")
        before = repo.task_snapshot(task)
        previous = lifecycle.dispatch(task, tx.today)
        tx.emit(ev.TaskDispatched(task_id=task.id, actor_id=user.id, due_on=task.due_on))
        _status_changed(tx, task, previous, user)
        await _store(tx, task, before, user, "task.dispatch")
        return task


async def acknowledge(ledger: Ledger, user: User, task_id: str) -> Task:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "acknowledge")
        require(authz.is_lead_liaison(user, task), "只有牵头单位可以签收任务")
        before = repo.task_snapshot(task)
        previous = lifecycle.transition(task, TaskStatus.ACKNOWLEDGED)
        assert user.department_id is not None
        tx.emit(
            ev.TaskAcknowledged(task_id=task.id, actor_id=user.id, department_id=user.department_id)
        )
        _status_changed(tx, task, previous, user)
        await _store(tx, task, before, user, "task.acknowledge")
        return task


async def start(ledger: Ledger, user: User, task_id: str) -> Task:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "start")
        require(authz.is_lead_liaison(user, task), "只有牵头单位可以开始办理")
        before = repo.task_snapshot(task)
        previous = lifecycle.transition(task, TaskStatus.IN_PROGRESS)
        _status_changed(tx, task, previous, user)
        await _store(tx, task, before, user, "task.start")
        return task


@dataclass(frozen=True)
class ReportInput:
    percent: int
    done_work: str = ""
    next_steps: str = ""
    problems: str = ""
    coordination_needed: str = ""
    period: str | None = None


async def report_progress(
    ledger: Ledger,
    user: User,
    task_id: str,
    data: ReportInput,
    attachments: Sequence[Attachment] = (),
) -> ProgressReport:
    """The hot path of the ledger: concurrent reports share a transaction (group commit)."""

    async def step(tx: Transaction) -> ProgressReport:
        task = await load_task(tx, user, task_id, "report_progress")
        require(authz.can_report(user, task), "只有牵头或配合单位的联络员可以填报进展")
        assert user.department_id is not None
        before = repo.task_snapshot(task)
        from_lead = task.role_of(user.department_id) == "lead"
        previous = lifecycle.record_progress(task, data.percent, from_lead=from_lead)
        period = data.period or tx.today.strftime("%Y-%m")
        report = ProgressReport(
            id=new_id("rpt"),
            task_id=task.id,
            department_id=user.department_id,
            author_id=user.id,
            percent=data.percent,
            done_work=data.done_work,
            next_steps=data.next_steps,
            problems=data.problems,
            coordination_needed=data.coordination_needed,
            period=period,
            attachments=tuple(attachments),
        )
        tx.defer(*repo.report_writes(report, tx.now))
        tx.emit(
            ev.ProgressReported(
                task_id=task.id,
                actor_id=user.id,
                report_id=report.id,
                department_id=user.department_id,
                percent=data.percent,
                period=period,
                done_work=data.done_work,
                next_steps=data.next_steps,
                problems=data.problems,
                coordination_needed=data.coordination_needed,
            )
        )
        if previous is not None:
            _status_changed(tx, task, previous, user, "已填报进展")
        tx.timeline(
            task.id,
            "progress",
            f"填报进展 {data.percent}%",
            user.id,
            report_id=report.id,
            department_id=user.department_id,
            attachments=len(attachments),
        )
        tx.audit(
            user.id,
            "progress.report",
            "progress_report",
            report.id,
            None,
            {"task_id": task.id, "percent": data.percent, "period": period},
        )
        await _store(tx, task, before, user, "task.progress")
        return report

    return await ledger.grouped(task_id, step)


async def request_completion(
    ledger: Ledger, user: User, task_id: str, summary: str, evidence: Sequence[str]
) -> CompletionRequest:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "request_completion")
        require(authz.is_lead_liaison(user, task), "只有牵头单位可以申请办结")
        before = repo.task_snapshot(task)
        children = await repo.get_children(tx.conn, task.id)
        previous = lifecycle.request_completion(task, children, summary)
        request = CompletionRequest(new_id("cmp"), task.id, user.id, summary, tuple(evidence))
        await tx.conn.execute(
            t.completion_requests.insert().values(
                id=request.id,
                task_id=task.id,
                requested_by=user.id,
                summary=summary,
                evidence=list(evidence),
                created_at=tx.now,
            )
        )
        tx.emit(
            ev.CompletionRequested(
                task_id=task.id,
                actor_id=user.id,
                request_id=request.id,
                summary=summary,
                evidence=tuple(evidence),
            )
        )
        _status_changed(tx, task, previous, user)
        tx.timeline(task.id, "completion_requested", "申请办结", user.id, request_id=request.id)
        await _store(tx, task, before, user, "task.request_completion")
        return request


async def decide_completion(
    ledger: Ledger,
    user: User,
    task_id: str,
    request_id: str,
    decision: Decision,
    comment: str | None,
) -> CompletionRequest:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "decide_completion")
        require(authz.is_decider(user), "只有督查人员可以审核办结申请")
        requests = {r.id: r for r in await repo.list_completions(tx.conn, task.id)}
        request = requests.get(request_id)
        if request is None:
            raise NotFound("办结申请不存在")
        before = repo.task_snapshot(task)
        previous = lifecycle.decide_completion(task, request, decision, comment)
        await tx.conn.execute(
            t.completion_requests.update()
            .where(t.completion_requests.c.id == request_id)
            .values(decision=decision.value, decided_by=user.id, comment=comment, decided_at=tx.now)
        )
        tx.emit(
            ev.CompletionDecided(
                task_id=task.id,
                actor_id=user.id,
                request_id=request_id,
                decision=decision,
                comment=comment,
            )
        )
        _status_changed(
            tx, task, previous, user, comment if decision == Decision.REJECTED else None
        )
        tx.timeline(
            task.id,
            "completion_decided",
            f"办结审核：{decision.label}",
            user.id,
            request_id=request_id,
            comment=comment,
        )
        await _store(tx, task, before, user, "task.decide_completion")
        return request


async def close(ledger: Ledger, user: User, task_id: str) -> Task:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "close")
        require(authz.is_decider(user), "只有督查人员可以销号")
        before = repo.task_snapshot(task)
        previous = lifecycle.transition(task, TaskStatus.CLOSED)
        tx.emit(ev.TaskClosed(task_id=task.id, actor_id=user.id))
        _status_changed(tx, task, previous, user)
        await _store(tx, task, before, user, "task.close")
        return task


# --- extensions --------------------------------------------------------------------------------
async def request_extension(
    ledger: Ledger, user: User, task_id: str, requested_due_on: date, reason: str
) -> ExtensionRequest:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "request_extension")
        require(authz.is_lead_liaison(user, task), "只有牵头单位可以申请延期")
        pending = any(r.decision is None for r in await repo.list_extensions(tx.conn, task.id))
        lifecycle.check_extension_request(task, requested_due_on, reason, tx.today, pending)
        request = ExtensionRequest(
            new_id("ext"), task.id, user.id, requested_due_on, task.due_on, reason
        )
        await tx.conn.execute(
            t.extension_requests.insert().values(
                id=request.id,
                task_id=task.id,
                requested_by=user.id,
                requested_due_on=requested_due_on,
                previous_due_on=task.due_on,
                reason=reason,
                created_at=tx.now,
            )
        )
        tx.emit(
            ev.ExtensionRequested(
                task_id=task.id,
                actor_id=user.id,
                request_id=request.id,
                requested_due_on=requested_due_on,
                reason=reason,
            )
        )
        tx.timeline(
            task.id,
            "extension_requested",
            f"申请延期至 {requested_due_on}",
            user.id,
            request_id=request.id,
            reason=reason,
        )
        tx.audit(
            user.id,
            "extension.request",
            "extension_request",
            request.id,
            None,
            {"task_id": task.id, "requested_due_on": requested_due_on, "reason": reason},
        )
        return request


async def decide_extension(
    ledger: Ledger,
    user: User,
    task_id: str,
    request_id: str,
    decision: Decision,
    comment: str | None,
) -> ExtensionRequest:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "decide_extension")
        require(authz.is_decider(user), "只有督查人员可以审核延期申请")
        request = next(
            (r for r in await repo.list_extensions(tx.conn, task.id) if r.id == request_id), None
        )
        if request is None:
            raise NotFound("延期申请不存在")
        before = repo.task_snapshot(task)
        previous_due = lifecycle.decide_extension(task, request, decision, comment)
        await tx.conn.execute(
            t.extension_requests.update()
            .where(t.extension_requests.c.id == request_id)
            .values(decision=decision.value, decided_by=user.id, comment=comment, decided_at=tx.now)
        )
        approved = decision == Decision.APPROVED
        tx.emit(
            ev.ExtensionDecided(
                task_id=task.id,
                actor_id=user.id,
                request_id=request_id,
                decision=decision,
                due_on=task.due_on if approved else None,
                comment=comment,
            )
        )
        tx.timeline(
            task.id,
            "extension_decided",
            f"延期审核：{decision.label}",
            user.id,
            request_id=request_id,
            comment=comment,
        )
        if approved:
            assert task.due_on is not None
            tx.emit(
                ev.DueDateChanged(
                    task_id=task.id,
                    actor_id=user.id,
                    original_due_on=task.original_due_on,
                    previous_due_on=previous_due,
                    due_on=task.due_on,
                    reason="延期申请获批",
                )
            )
            tx.timeline(
                task.id,
                "due_date",
                f"完成时限由 {previous_due} 调整为 {task.due_on}",
                user.id,
                original_due_on=task.original_due_on,
            )
        await _store(tx, task, before, user, "task.decide_extension")
        return request


# --- supervision ------------------------------------------------------------------------------
async def issue_notice(
    ledger: Ledger,
    user: User,
    task_id: str,
    department_id: str,
    level: EscalationLevel,
    requirements: str,
    reply_due_on: date,
) -> SupervisionNotice:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "issue_notice")
        require(authz.is_decider(user), "只有督查人员可以下发督办单")
        if not requirements.strip():
            raise DomainError("督办要求不能为空")
        lifecycle.check_notice(task, department_id, reply_due_on, tx.today)
        notice = SupervisionNotice(
            new_id("ntc"), task.id, department_id, level, requirements, reply_due_on, user.id
        )
        await tx.conn.execute(
            t.supervision_notices.insert().values(
                id=notice.id,
                task_id=task.id,
                department_id=department_id,
                level=level.value,
                requirements=requirements,
                reply_due_on=reply_due_on,
                issued_by=user.id,
                issued_at=tx.now,
            )
        )
        before = repo.task_snapshot(task)
        lifecycle.raise_escalation(task, level)
        tx.emit(
            ev.SupervisionNoticeIssued(
                task_id=task.id,
                actor_id=user.id,
                notice_id=notice.id,
                department_id=department_id,
                level=level,
                requirements=requirements,
                reply_due_on=reply_due_on,
            )
        )
        tx.timeline(
            task.id,
            "notice_issued",
            f"下发{level.label}色督办单，{reply_due_on} 前回复",
            user.id,
            notice_id=notice.id,
            department_id=department_id,
        )
        tx.audit(
            user.id,
            "notice.issue",
            "supervision_notice",
            notice.id,
            None,
            {"task_id": task.id, "department_id": department_id, "level": level.value},
        )
        await _store(tx, task, before, user, "task.escalation")
        return notice


async def answer_notice(
    ledger: Ledger, user: User, task_id: str, notice_id: str, answer: str
) -> SupervisionNotice:
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "answer_notice")
        notice = next(
            (n for n in await repo.list_notices(tx.conn, task.id) if n.id == notice_id), None
        )
        if notice is None:
            raise NotFound("督办单不存在")
        require(user.department_id == notice.department_id, "只有被督办单位可以回复督办单")
        lifecycle.answer_notice(notice, answer)
        await tx.conn.execute(
            t.supervision_notices.update()
            .where(t.supervision_notices.c.id == notice_id)
            .values(answer=answer, answered_by=user.id, answered_at=tx.now)
        )
        tx.emit(
            ev.SupervisionNoticeAnswered(
                task_id=task.id,
                actor_id=user.id,
                notice_id=notice_id,
                department_id=notice.department_id,
                answer=answer,
            )
        )
        tx.timeline(task.id, "notice_answered", "回复督办单", user.id, notice_id=notice_id)
        tx.audit(
            user.id, "notice.answer", "supervision_notice", notice_id, None, {"answer": answer}
        )
        notice.answered_by = user.id
        return notice


async def send_reminder(
    ledger: Ledger, user: User, task_id: str, message: str, level: EscalationLevel | None
) -> str:
    """催办: the notifier delivers it; the command travels through the outbox."""
    async with ledger.transaction() as tx:
        task = await load_task(tx, user, task_id, "send_reminder", for_update=False)
        require(authz.is_decider(user), "只有督查人员可以催办")
        if not message.strip():
            raise DomainError("催办内容不能为空")
        envelope = tx.emit(
            cmd.SendManualReminder(
                task_id=task.id,
                task_title=task.title[:500],
                department_ids=task.department_ids,
                message=message,
                level=level,
                requested_by=user.id,
            )
        )
        tx.timeline(
            task.id,
            "manual_reminder",
            "督查人员催办",
            user.id,
            message=message,
            command_id=str(envelope.event_id),
        )
        tx.audit(user.id, "task.remind", "task", task.id, None, {"message": message})
        return str(envelope.event_id)


# --- decomposition ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChildSpec:
    title: str
    lead_department_ids: tuple[str, ...]
    supporting_department_ids: tuple[str, ...] = ()
    due_on: date | None = None


async def decompose(
    ledger: Ledger, user: User, task_id: str, children: Sequence[ChildSpec]
) -> list[Task]:
    async with ledger.transaction() as tx:
        parent = await load_task(tx, user, task_id, "decompose")
        require(
            authz.is_lead_liaison(user, parent) or authz.is_decider(user),
            "只有牵头单位或督查人员可以分解任务",
        )
        wanted = {
            d for c in children for d in (*c.lead_department_ids, *c.supporting_department_ids)
        }
        deps = await repo.get_departments(tx.conn, [*wanted, *parent.lead_department_ids])
        missing = sorted(wanted - deps.keys())
        if missing:
            raise DomainError(f"单位不存在：{'、'.join(missing)}")
        lifecycle.check_decomposition(
            parent,
            [deps[d] for d in parent.lead_department_ids if d in deps],
            [([deps[d] for d in c.lead_department_ids], c.due_on) for c in children],
        )
        created = []
        for spec in children:
            child = Task(
                id=new_id("task"),
                plan_id=parent.plan_id,
                measure_id=parent.measure_id,
                title=spec.title,
                lead_department_ids=spec.lead_department_ids,
                supporting_department_ids=spec.supporting_department_ids,
                status=TaskStatus.DISPATCHED,
                due_on=spec.due_on,
                original_due_on=spec.due_on,
                start_on=tx.today,
                parent_task_id=parent.id,
            )
            await repo.insert_task(tx.conn, child, tx.now)
            await register_events(tx, child, user, plan_title=None)
            tx.emit(ev.TaskDispatched(task_id=child.id, actor_id=user.id, due_on=child.due_on))
            tx.timeline(
                child.id,
                "dispatched",
                f"由上级任务分解交办：{parent.title[:100]}",
                user.id,
                parent_task_id=parent.id,
            )
            tx.audit(user.id, "task.create", "task", child.id, None, repo.task_snapshot(child))
            created.append(child)
        tx.emit(
            ev.TaskDecomposed(
                task_id=parent.id, actor_id=user.id, child_task_ids=tuple(c.id for c in created)
            )
        )
        tx.timeline(
            parent.id,
            "decomposed",
            f"分解为 {len(created)} 项下级任务",
            user.id,
            child_task_ids=[c.id for c in created],
        )
        return created


async def register_events(
    tx: Transaction, task: Task, actor: User | None, plan_title: str | None
) -> None:
    if plan_title is None:
        plan = (await tx.conn.execute(t.plans.select().where(t.plans.c.id == task.plan_id))).first()
        plan_title = plan.title if plan else task.plan_id
    tx.emit(
        ev.TaskRegistered(
            task_id=task.id,
            actor_id=actor.id if actor else None,
            plan_id=task.plan_id,
            plan_title=plan_title[:500],
            measure_id=task.measure_id,
            parent_task_id=task.parent_task_id,
            title=task.title[:500],
            lead_department_ids=task.lead_department_ids,
            supporting_department_ids=task.supporting_department_ids,
            due_on=task.due_on,
            status=task.status,
        )
    )


async def read_task(conn: Any, user: User, task_id: str, action: str) -> Task:
    """Load a task for reading; another department's task is refused like a missing one."""
    task = await repo.get_task(conn, task_id)
    if task is None or not authz.can_view_task(user, task):
        raise AccessDenied(task_id, action, exists=task is not None)
    return task
