"""The audit of refused access to a task, shared by the API (problem+json) and the pages."""

from __future__ import annotations

from fastapi import Request

from duban_common.logging import get_logger
from task_ledger.domain.model import User
from task_ledger.service_layer.handlers import AccessDenied
from task_ledger.service_layer.uow import Ledger

log = get_logger(__name__)


async def audit_denied(request: Request, exc: AccessDenied) -> None:
    """Write the refused attempt to the audit trail (its own transaction: the request failed).
    Only tasks that exist are audited: a guessed id is just a 404."""
    if not exc.exists:
        return
    user: User | None = getattr(request.state, "user", None)
    ledger: Ledger = request.app.state.ledger
    async with ledger.transaction() as tx:
        tx.audit(
            user.id if user else None,
            "access.denied",
            "task",
            exc.task_id,
            None,
            {
                "action": exc.action,
                "method": request.method,
                "path": request.url.path,
                "department_id": user.department_id if user else None,
            },
        )
    log.warning(
        "access_denied", task_id=exc.task_id, action=exc.action, user_id=user.id if user else None
    )
