"""The Excel work ledger 工作台账.xlsx: a sheet per plan, overdue items, a summary.

Written in openpyxl's write-only mode so memory stays flat however many tasks there are;
tasks are streamed from an iterator (each plan's iterator is consumed once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from duban_contracts.vocabulary import Light
from task_ledger.reports.facts import TaskFacts
from task_ledger.reports.monthly import MonthlyReport
from task_ledger.reports.render_text import pct

LEDGER_COLUMNS = (
    ("序号", 6),
    ("任务", 48),
    ("牵头单位", 24),
    ("配合单位", 30),
    ("完成时限", 12),
    ("进展情况", 40),
    ("存在问题", 30),
    ("状态", 10),
    ("亮灯", 8),
)
OVERDUE_COLUMNS = (
    ("序号", 6),
    ("任务", 48),
    ("牵头单位", 24),
    ("完成时限", 12),
    ("逾期天数", 10),
    ("进度", 8),
    ("本月催办", 10),
)
LIGHT_FILLS = {
    Light.GREEN: PatternFill("solid", fgColor="C8E6C9"),
    Light.YELLOW: PatternFill("solid", fgColor="FFF59D"),
    Light.RED: PatternFill("solid", fgColor="FFCDD2"),
}
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_SHEET_TITLE = 31
INVALID_TITLE_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(INVALID_TITLE_CHARS)[:MAX_SHEET_TITLE] or "台账"
    name, n = base, 2
    while name in used:
        suffix = f"({n})"
        name, n = base[: MAX_SHEET_TITLE - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _header(ws: Worksheet, columns: tuple[tuple[str, int], ...]) -> None:
    for i, (_, width) in enumerate(columns):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{chr(ord('A') + len(columns) - 1)}1"
    cells = []
    for title, _ in columns:
        c = WriteOnlyCell(ws, value=title)
        c.font, c.fill = BOLD, HEADER_FILL
        cells.append(c)
    ws.append(cells)


def _cell(ws: Worksheet, value: Any, fill: PatternFill | None = None) -> WriteOnlyCell:
    c = WriteOnlyCell(ws, value=value)
    c.alignment = WRAP
    if fill is not None:
        c.fill = fill
    return c


def write_ledger_xlsx(
    path: Path,
    plans: Iterable[tuple[MonthlyReport, Callable[[], Iterable[TaskFacts]]]],
) -> Path:
    """One sheet per plan (tasks streamed from the callable), then 逾期事项 and 汇总."""
    wb = Workbook(write_only=True)
    used: set[str] = {"逾期事项", "汇总"}
    reports: list[MonthlyReport] = []
    for report, tasks in plans:
        reports.append(report)
        ws = wb.create_sheet(_sheet_title(report.plan_title, used))
        _header(ws, LEDGER_COLUMNS)
        for t in tasks():
            ws.append(
                [
                    t.seq,
                    t.title,
                    "、".join(t.lead),
                    "、".join(t.supporting),
                    t.due_on.isoformat() if t.due_on else "",
                    _cell(
                        ws,
                        f"{t.progress}%；{t.latest_progress}"
                        if t.latest_progress
                        else f"{t.progress}%",
                    ),
                    t.problems,
                    t.status.label,
                    _cell(ws, t.light.label, LIGHT_FILLS[t.light]),
                ]
            )

    ws = wb.create_sheet("逾期事项")
    _header(ws, OVERDUE_COLUMNS)
    red = LIGHT_FILLS[Light.RED]
    for report in reports:
        for o in report.overdue:
            ws.append(
                [
                    o.seq,
                    o.title,
                    "、".join(o.lead),
                    o.due_on.isoformat(),
                    _cell(ws, o.days_late, red),
                    f"{o.progress}%",
                    o.reminders,
                ]
            )

    ws = wb.create_sheet("汇总")
    summary_cols = (
        ("方案", 40),
        ("月份", 10),
        ("任务总数", 10),
        ("已办结", 10),
        ("办结率", 10),
        ("按期办结率", 12),
        ("逾期", 8),
        ("绿灯", 8),
        ("黄灯", 8),
        ("红灯", 8),
        ("本月催办", 10),
    )
    _header(ws, summary_cols)
    for r in reports:
        o = r.overall
        ws.append(
            [
                r.plan_title,
                r.month,
                o.tasks,
                o.completed,
                pct(o.completion_rate),
                pct(o.on_time_rate),
                o.overdue,
                o.lights[Light.GREEN],
                o.lights[Light.YELLOW],
                o.lights[Light.RED],
                r.reminders_total,
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
