"""The Excel work ledger 工作台账.xlsx: a sheet per plan, overdue items, a summary.

Written with XlsxWriter in constant-memory mode: rows go to disk as they are written, so
memory stays flat however many tasks there are; each plan's tasks are streamed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import xlsxwriter

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
SUMMARY_COLUMNS = (
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
LIGHT_COLOURS = {Light.GREEN: "#C8E6C9", Light.YELLOW: "#FFF59D", Light.RED: "#FFCDD2"}
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


class _Book:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.header = self.wb.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.lights = {lt: self.wb.add_format({"bg_color": c}) for lt, c in LIGHT_COLOURS.items()}

    def sheet(self, title: str, columns: tuple[tuple[str, int], ...]) -> Any:
        ws = self.wb.add_worksheet(title)
        for i, (name, width) in enumerate(columns):
            ws.set_column(i, i, width)
            ws.write_string(0, i, name, self.header)
        ws.freeze_panes(1, 0)
        return ws


def write_ledger_xlsx(
    path: Path,
    plans: Iterable[tuple[MonthlyReport, Callable[[], Iterable[TaskFacts]]]],
) -> Path:
    """One sheet per plan (tasks streamed from the callable), then 逾期事项 and 汇总."""
    book = _Book(path)
    used: set[str] = {"逾期事项", "汇总"}
    reports: list[MonthlyReport] = []
    for report, tasks in plans:
        reports.append(report)
        ws = book.sheet(_sheet_title(report.plan_title, used), LEDGER_COLUMNS)
        row = 0
        for row, t in enumerate(tasks(), start=1):
            progress = (
                f"{t.progress}%；{t.latest_progress}" if t.latest_progress else f"{t.progress}%"
            )
            due = t.due_on.isoformat() if t.due_on else ""
            ws.write_row(row, 0, (t.seq, t.title, "、".join(t.lead), "、".join(t.supporting), due))
            ws.write_string(row, 5, progress, book.wrap)
            ws.write_row(row, 6, (t.problems, t.status.label))
            ws.write_string(row, 8, t.light.label, book.lights[t.light])
        ws.autofilter(0, 0, row, len(LEDGER_COLUMNS) - 1)

    ws = book.sheet("逾期事项", OVERDUE_COLUMNS)
    row = 0
    for report in reports:
        for late in report.overdue:
            row += 1
            ws.write_row(
                row, 0, [late.seq, late.title, "、".join(late.lead), late.due_on.isoformat()]
            )
            ws.write_number(row, 4, late.days_late, book.lights[Light.RED])
            ws.write_row(row, 5, [f"{late.progress}%", late.reminders])
    ws.autofilter(0, 0, row, len(OVERDUE_COLUMNS) - 1)

    ws = book.sheet("汇总", SUMMARY_COLUMNS)
    for row, r in enumerate(reports, start=1):
        o = r.overall
        ws.write_row(
            row,
            0,
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
            ],
        )
    ws.autofilter(0, 0, len(reports), len(SUMMARY_COLUMNS) - 1)
    book.wb.close()
    return path
