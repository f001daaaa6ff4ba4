"""Response models of the HTTP API: the JSON each route answers, documented in the OpenAPI.

Each model says how it is built from the domain (`of(...)`), so routes only map. The pages use
the same task model for their rows (`TaskOut.of(...).model_dump()`).
"""

from __future__ import annotations

from task_ledger.entrypoints.responses.base import (
    Out,
    aware,
)
from task_ledger.entrypoints.responses.imports import (
    ConflictPlaceOut,
    DepartmentRef,
    ImportConfirmed,
    ImportJob,
    ImportOut,
    ImportPage,
    ImportPreview,
    ImportProgress,
    ImportStatus,
    ImportSummary,
    IndicatorConflictOut,
    IndicatorDraftOut,
    MilestoneOut,
    Parsed,
    PreviewDocument,
    PreviewMeasure,
    TargetOut,
)
from task_ledger.entrypoints.responses.indicators import (
    IndicatorOut,
    IndicatorValueOut,
    MilestoneStateOut,
)
from task_ledger.entrypoints.responses.people import (
    Changed,
    DepartmentOut,
    InboxMessageOut,
    LoginOut,
    LogoutOut,
    PlanOut,
    Queued,
    UserOut,
)
from task_ledger.entrypoints.responses.tasks import (
    AttachmentOut,
    CompletionRequestOut,
    ExtensionRequestOut,
    ProgressReportOut,
    SupervisionNoticeOut,
    TaskDetail,
    TaskOut,
    TaskPage,
    TimelineEntryOut,
)

__all__ = [
    "AttachmentOut",
    "Changed",
    "CompletionRequestOut",
    "ConflictPlaceOut",
    "DepartmentOut",
    "DepartmentRef",
    "ExtensionRequestOut",
    "ImportConfirmed",
    "ImportJob",
    "ImportOut",
    "ImportPage",
    "ImportPreview",
    "ImportProgress",
    "ImportStatus",
    "ImportSummary",
    "InboxMessageOut",
    "IndicatorConflictOut",
    "IndicatorDraftOut",
    "IndicatorOut",
    "IndicatorValueOut",
    "LoginOut",
    "LogoutOut",
    "MilestoneOut",
    "MilestoneStateOut",
    "Out",
    "Parsed",
    "PlanOut",
    "PreviewDocument",
    "PreviewMeasure",
    "ProgressReportOut",
    "Queued",
    "SupervisionNoticeOut",
    "TargetOut",
    "TaskDetail",
    "TaskOut",
    "TaskPage",
    "TimelineEntryOut",
    "UserOut",
    "aware",
]
