"""The Excel work ledger 工作台账.xlsx: a sheet per plan, overdue items, indicators, a summary.

Rows are streamed into the file (see `xlsx_writer`), so memory stays flat however many tasks
there are; each plan's tasks are read once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from duban_contracts.vocabulary import Light
from task_ledger.adapters.reports.render_text import pct
from task_ledger.adapters.reports.xlsx_writer import GREEN, RED, WRAP, YELLOW, Workbook
from task_ledger.domain.reports.facts import TaskFacts
from task_ledger.domain.reports.monthly import MonthlyReport

LEDGER_COLUMNS = (
    ("序号", 8), ("任务", 48), ("牵头单位", 24), ("配合单位", 30), ("完成时限", 12),
    ("进展情况", 40), ("存在问题", 30), ("状态", 10), ("亮灯", 8),
)  # fmt: skip
OVERDUE_COLUMNS = (
    ("序号", 6), ("任务", 48), ("牵头单位", 24), ("完成时限", 12), ("逾期工作日", 10),
    ("进度", 8), ("本月催办", 10),
)  # fmt: skip
CASCADE_COLUMNS = (
    ("方案", 30),
    ("下级方案", 36),
    ("落实上级措施", 12),
    ("平均进度", 10),
    ("绿灯", 6),
    ("黄灯", 6),
    ("红灯", 6),
    ("未落实的上级措施", 60),
)
SUMMARY_COLUMNS = (
    ("方案", 40), ("月份", 10), ("任务总数", 10), ("已办结", 10), ("办结率", 10),
    ("按期办结率", 12), ("逾期", 8), ("绿灯", 8), ("黄灯", 8), ("红灯", 8), ("本月催办", 10),
)  # fmt: skip
INDICATOR_COLUMNS = (
    ("方案", 30), ("序号", 6), ("任务", 40), ("牵头单位", 24), ("指标", 30), ("目标值", 12),
    ("当前值", 10), ("完成率", 10), ("时间节点", 12), ("状态", 8), ("说明", 40),
)  # fmt: skip
LIGHT_STYLES = {Light.GREEN: GREEN, Light.YELLOW: YELLOW, Light.RED: RED}
MAX_SHEET_TITLE = 31
INVALID_TITLE_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\'"})


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(INVALID_TITLE_CHARS)[:MAX_SHEET_TITLE] or "台账"
    name, n = base, 2
    while name in used:
        suffix = f"({n})"
        name, n = base[: MAX_SHEET_TITLE - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _indicator_sheet(book: Workbook, reports: list[MonthlyReport]) -> None:
    """目标完成情况: every indicator of every plan, with its light and reason."""
    ws = book.sheet("指标", INDICATOR_COLUMNS, "目标完成情况")
    for report in reports:
        for line in report.indicators:
            i = line.indicator
            ws.append((
                report.plan_title, line.seq, line.task_title, "、".join(line.lead), i.name,
                f"{i.target:g} {i.unit}", "未填报" if i.current is None else i.current,
                pct(i.completion), i.due_on.isoformat() if i.due_on else "",
                (i.light.label, LIGHT_STYLES[i.light]), (i.reason or "", WRAP),
            ))  # fmt: skip


def write_ledger_xlsx(
    path: Path,
    plans: Iterable[tuple[MonthlyReport, Callable[[], Iterable[TaskFacts]]]],
) -> Path:
    """One sheet per plan (tasks streamed from the callable), then 逾期事项, 指标 and 汇总."""
    used: set[str] = {"逾期事项", "指标", "汇总"}
    reports: list[MonthlyReport] = []
    with Workbook(path) as book:
        for report, tasks in plans:
            reports.append(report)
            caption = f"{report.plan_title} 工作台账（{report.month}，统计截至 {report.as_of}）"
            ws = book.sheet(_sheet_title(report.plan_title, used), LEDGER_COLUMNS, caption)
            for t in tasks():
                # A child task sits indented under its parent (numbered 3-1, 3-2, …).
                title = f"　{t.title}" if t.parent_id else t.title
                progress = f"{t.progress}%"
                if t.latest_progress:
                    progress += f"；{t.latest_progress}"
                ws.append((
                    t.number if t.parent_id else t.seq, title, "、".join(t.lead),
                    "、".join(t.supporting),
                    t.due_on.isoformat() if t.due_on else "", (progress, WRAP), t.problems,
                    t.status.label, (t.light.label, LIGHT_STYLES[t.light]),
                ))  # fmt: skip
        month = reports[0].month if reports else ""
        ws = book.sheet("逾期事项", OVERDUE_COLUMNS, f"逾期未办结事项（{month}）")
        for report in reports:
            for late in report.overdue:
                ws.append((
                    late.seq, late.title, "、".join(late.lead), late.due_on.isoformat(),
                    (late.days_late, RED), f"{late.progress}%", late.reminders,
                ))  # fmt: skip
        if any(report.indicators for report in reports):  # plans without targets: no sheet
            _indicator_sheet(book, reports)
        ws = book.sheet("汇总", SUMMARY_COLUMNS, f"月度调度汇总（{month}）")
        for r in reports:
            o = r.overall
            ws.append((
                r.plan_title, r.month, o.tasks, o.completed, pct(o.completion_rate),
                pct(o.on_time_rate), o.overdue, o.lights[Light.GREEN], o.lights[Light.YELLOW],
                o.lights[Light.RED], r.reminders_total,
            ))  # fmt: skip
        if any(r.cascade for r in reports):  # a superior plan's 下级落实情况
            ws = book.sheet("下级落实情况", CASCADE_COLUMNS, "下级落实情况")
            for r in reports:
                if r.cascade is None:
                    continue
                for sub in r.cascade.subordinates:
                    ws.append((
                        r.plan_title, f"{sub.jurisdiction or ''}《{sub.title}》",
                        f"{sub.measures_covered}/{sub.measures_total}",
                        "—" if sub.progress is None else f"{sub.progress:.1f}%",
                        sub.lights["green"], sub.lights["yellow"], sub.lights["red"], "",
                    ))  # fmt: skip
                if r.cascade.uncovered:
                    missing = "；".join(f"{label}{title}" for label, title in r.cascade.uncovered)
                    ws.append(
                        (r.plan_title, "（无下级方案落实）", "", "", "", "", "", (missing, WRAP))
                    )
    return path
