"""The current task list as a file (工作台账 export): the HTTP layer builds the rows, the
adapters write them; this door keeps the HTTP layer off the adapters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from task_ledger.adapters.reports import task_list

ExportFormat = Literal["xlsx", "csv"]


def render(rows: Sequence[dict[str, object]], fmt: ExportFormat) -> bytes:
    """The rows as CSV (formula-safe) or as an .xlsx workbook."""
    return task_list.to_csv(rows) if fmt == "csv" else task_list.to_xlsx(rows)
