"""The rules of 申请办结 (issue 21) on the domain alone."""

from __future__ import annotations

import pytest
from test_ledger_domain import make_task

from duban_contracts.vocabulary import TaskStatus as S
from task_ledger.domain import lifecycle
from task_ledger.domain.errors import DomainError, PendingRequest
from task_ledger.domain.model import ExtensionRequest

pytestmark = pytest.mark.unit


def test_below_100_needs_an_explanation_and_every_request_a_file() -> None:
    task = make_task(status=S.IN_PROGRESS, progress=35)
    with pytest.raises(DomainError, match=r"当前进度为 35%.*说明"):
        lifecycle.request_completion(task, [], "基本完成", evidence_files=1)
    with pytest.raises(DomainError, match="佐证材料"):
        lifecycle.request_completion(task, [], "基本完成", explanation="评审延期")
    assert task.status == S.IN_PROGRESS
    lifecycle.request_completion(task, [], "基本完成", explanation="评审延期", evidence_files=1)
    assert task.status == S.COMPLETION_REQUESTED
    done = make_task(status=S.IN_PROGRESS, progress=100)
    lifecycle.request_completion(done, [], "完成", evidence_files=1)  # no 说明 needed at 100%
    assert done.status == S.COMPLETION_REQUESTED


def test_a_pending_extension_is_a_conflict_and_a_withdrawn_one_is_settled() -> None:
    task = make_task(status=S.IN_PROGRESS, progress=100)
    with pytest.raises(PendingRequest, match="待审核的延期申请"):
        lifecycle.request_completion(task, [], "完成", evidence_files=1, extension_pending=True)
    ext = ExtensionRequest("ext-1", task.id, "u", task.due_on, task.due_on, "理由")  # type: ignore[arg-type]
    assert ext.pending
    ext.withdrawn = True
    assert not ext.pending
    with pytest.raises(DomainError, match="已撤回"):
        lifecycle.decide_extension(task, ext, lifecycle.Decision.APPROVED, None)
