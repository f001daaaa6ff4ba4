"""Response models of completion and extension requests with what issue 21 added to them (the
evidence files and 说明 of a completion request, a withdrawn extension request). Kept apart from
`responses` so each can change without the other."""

from __future__ import annotations

from task_ledger.entrypoints.responses import (
    AttachmentOut,
    CompletionRequestOut,
    ExtensionRequestOut,
)


class CompletionRequestWithFilesOut(CompletionRequestOut):
    explanation: str
    files: list[AttachmentOut]


class ExtensionRequestStateOut(ExtensionRequestOut):
    withdrawn: bool
