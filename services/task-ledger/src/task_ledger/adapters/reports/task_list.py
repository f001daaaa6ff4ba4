"""A task list as a file (the current filtered list of the task page, 导出): .csv and .xlsx.

Both are safe to open in a spreadsheet whatever a title says: the xlsx writes every text as an
inline string (`xlsx_writer`), which Excel never evaluates; a CSV cell has no type, so a text
starting with = + - @ (or a tab / carriage return before one) is prefixed with an apostrophe,
the usual guard against formula injection."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Sequence
from pathlib import Path

from task_ledger.adapters.reports.xlsx_writer import GREEN, RED, YELLOW, Cell, Workbook

HEADER: Sequence[tuple[str, int]] = (
    ("序号", 6),
    ("任务", 60),
    ("方案", 30),
    ("牵头单位", 30),
    ("配合单位", 30),
    ("完成时限", 12),
    ("进度(%)", 8),
    ("状态", 10),
    ("亮灯", 8),
    ("逾期天数", 8),
)
_LAMP_STYLE = {"green": GREEN, "yellow": YELLOW, "red": RED}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralized(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cells(n: int, row: dict[str, object]) -> list[object]:
    return [
        n,
        row["title"],
        row.get("plan_title") or "",
        "、".join(row["lead_names"]),  # type: ignore[arg-type]
        "、".join(row["supporting_names"]),  # type: ignore[arg-type]
        str(row["due_on"] or ""),
        row["progress"],
        row["status_label"],
        row["light_label"],
        row["days_late"],
    ]


def to_csv(rows: Sequence[dict[str, object]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in HEADER])
    for n, row in enumerate(rows, start=1):
        cells = _cells(n, row)
        writer.writerow([neutralized(c) if isinstance(c, str) else c for c in cells])
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(rows: Sequence[dict[str, object]]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tasks.xlsx"
        with Workbook(path) as book:
            sheet = book.sheet("任务清单", HEADER)
            for n, row in enumerate(rows, start=1):
                cells: list[Cell] = list(_cells(n, row))  # type: ignore[arg-type]
                style = _LAMP_STYLE.get(str(getattr(row["light"], "value", row["light"])))
                if style is not None:
                    cells[8] = (str(cells[8]), style)
                sheet.append(cells)
        return path.read_bytes()
