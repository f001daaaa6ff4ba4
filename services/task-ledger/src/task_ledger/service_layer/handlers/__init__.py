"""Commands on tasks, one module per concern, all run in one frame (`frame.run_command`):
load (locked) → authorize → snapshot → domain transition → events, timeline → audit, store.

Callers use `from task_ledger.service_layer import handlers as h` and `h.<name>(...)`.
"""

from __future__ import annotations

from task_ledger.service_layer.handlers.completion import decide_completion, request_completion
from task_ledger.service_layer.handlers.decomposition import ChildSpec, decompose, register_events
from task_ledger.service_layer.handlers.extensions import (
    decide_extension,
    request_extension,
    withdraw_extension,
)
from task_ledger.service_layer.handlers.frame import (
    AccessDenied,
    load_task,
    may_read,
    new_id,
    read_task,
    require,
)
from task_ledger.service_layer.handlers.progress import ReportInput, report_progress
from task_ledger.service_layer.handlers.supervision import (
    answer_notice,
    issue_notice,
    send_reminder,
)
from task_ledger.service_layer.handlers.transitions import acknowledge, close, dispatch, start

__all__ = [
    "AccessDenied",
    "ChildSpec",
    "ReportInput",
    "acknowledge",
    "answer_notice",
    "close",
    "decide_completion",
    "decide_extension",
    "decompose",
    "dispatch",
    "issue_notice",
    "load_task",
    "may_read",
    "new_id",
    "read_task",
    "register_events",
    "report_progress",
    "request_completion",
    "request_extension",
    "require",
    "send_reminder",
    "start",
    "withdraw_extension",
]
