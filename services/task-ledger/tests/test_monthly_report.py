"""The monthly report's figures, computed from hand-checked facts, in every format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from duban_contracts.vocabulary import EscalationLevel, Light, TaskStatus
from task_ledger.adapters.reports.render_text import render_html, render_markdown
from task_ledger.adapters.reports.render_xlsx import write_ledger_xlsx
from task_ledger.domain.reports.facts import (
    EscalationFacts,
    MissingReportFacts,
    MonthActivity,
    NoticeFacts,
    TaskFacts,
)
from task_ledger.domain.reports.monthly import build_monthly_report, month_bounds, previous_months

pytestmark = pytest.mark.unit

HRSS, EDU, FIN = "广东省人力资源和社会保障厅", "广东省教育厅", "广东省财政厅"


def _task(seq: int, **kw) -> TaskFacts:  # type: ignore[no-untyped-def]
    base = dict(
        id=f"t{seq}",
        seq=seq,
        title=f"任务{seq}",
        measure_id="m1",
        measure_label="（一）",
        measure_title="开展劳务品牌调查摸底",
        lead=(HRSS,),
        supporting=(EDU,),
        original_due_on=date(2026, 3, 10),
        due_on=date(2026, 3, 10),
        status=TaskStatus.IN_PROGRESS,
        progress=50,
        light=Light.GREEN,
    )
    base.update(kw)
    return TaskFacts(**base)  # type: ignore[arg-type]


TASKS = [
    # done on time (due 03-10, completed 03-08)
    _task(1, status=TaskStatus.COMPLETED, progress=100, completed_on=date(2026, 3, 8)),
    # done late (completed 03-15 after due 03-10)
    _task(2, status=TaskStatus.COMPLETED, progress=100, completed_on=date(2026, 3, 15)),
    # overdue 21 days at 03-31, red
    _task(3, progress=30, light=Light.RED),
    # not yet due, yellow, EDU leads with HRSS supporting, other measure
    _task(
        4,
        lead=(EDU,),
        supporting=(HRSS, FIN),
        measure_id="m2",
        measure_label="（二）",
        measure_title="培育劳务品牌",
        due_on=date(2026, 4, 30),
        progress=20,
        light=Light.YELLOW,
    ),
    # overdue since February (due 02-20): 39 days late at 03-31
    _task(5, lead=(EDU,), supporting=(), due_on=date(2026, 2, 20), progress=10, light=Light.RED),
]
ACTIVITY = MonthActivity(
    reminders_by_task={"t3": 3, "t5": 2},
    reminders_by_department={HRSS: 3, EDU: 2},
    escalations=[EscalationFacts("t5", "任务5", EscalationLevel.ORANGE, date(2026, 3, 6), (EDU,))],
    missing_reports=[MissingReportFacts(EDU, "2026-03", 2)],
    notices=[
        NoticeFacts(
            "t5",
            "任务5",
            EDU,
            EscalationLevel.ORANGE,
            date(2026, 3, 9),
            date(2026, 3, 12),
            "书面说明逾期原因",
            "已部署整改",
        ),
    ],
    reports_by_department={HRSS: 1},
)


def _report():  # type: ignore[no-untyped-def]
    return build_monthly_report(
        "p1", "劳务品牌行动方案", "2026-03", iter(TASKS), ACTIVITY, today=date(2026, 11, 22)
    )


def test_month_helpers() -> None:
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert previous_months("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_bounds("2026-13")


def test_overall_figures() -> None:
    r = _report()
    o = r.overall
    assert r.as_of == date(2026, 3, 31)
    assert (o.tasks, o.completed, o.overdue) == (5, 2, 2)
    assert o.completion_rate == pytest.approx(0.4)
    assert o.on_time_rate == pytest.approx(0.5)
    assert o.avg_progress == pytest.approx((100 + 100 + 30 + 20 + 10) / 5)
    assert r.status_counts[TaskStatus.COMPLETED] == 2
    assert o.lights[Light.RED] == 2 and o.lights[Light.YELLOW] == 1
    assert r.reminders_total == 5


def test_current_month_is_reported_as_of_today() -> None:
    r = build_monthly_report("p1", "x", "2026-03", iter(TASKS), ACTIVITY, today=date(2026, 3, 12))
    assert r.as_of == date(2026, 3, 12)
    # task 2 is not complete yet on the 12th and is overdue then; task 3 too; task 5 too
    assert r.overall.completed == 1 and r.overall.overdue == 3


def test_overdue_list_sorted_by_days_late() -> None:
    r = _report()
    assert [(o.task_id, o.days_late, o.reminders) for o in r.overdue] == [
        ("t5", 39, 2),
        ("t3", 21, 3),
    ]


def test_departments_as_lead_and_supporting_and_ranking() -> None:
    r = _report()
    by = {d.name: d for d in r.departments}
    assert (by[HRSS].as_lead.tasks, by[HRSS].as_supporting.tasks) == (3, 1)
    assert (by[EDU].as_lead.tasks, by[EDU].as_supporting.tasks) == (2, 3)
    assert by[FIN].as_lead.tasks == 0 and by[FIN].as_supporting.tasks == 1
    assert by[EDU].missing_reports == 1 and by[EDU].escalations == 1
    assert (by[EDU].notices, by[EDU].notices_answered) == (1, 1)
    # HRSS: avg 76.67*0.5 + on-time 50%*30 + (1-1/3)*20 = 38.33+15+13.33 = 66.7
    assert by[HRSS].score == pytest.approx(66.7, abs=0.05)
    # EDU: avg 15*0.5 + 0 + (1-1/2)*20 - 5 = 7.5 + 10 - 5 = 12.5
    assert by[EDU].score == pytest.approx(12.5, abs=0.05)
    assert [d.name for d in r.departments][:2] == [HRSS, EDU]


def test_measures_and_trend() -> None:
    r = _report()
    assert [(m.label, m.tally.tasks) for m in r.measures] == [("（一）", 4), ("（二）", 1)]
    feb, mar = r.trend[-2], r.trend[-1]
    # at the end of February only t5 (due 02-20) was overdue, nothing was done yet
    assert (feb.month, feb.completed, feb.overdue) == ("2026-02", 0, 1)
    assert (mar.completed, mar.overdue) == (2, 2)


def test_html_and_markdown_carry_the_numbers() -> None:
    r = _report()
    html = render_html(r)
    md = render_markdown(r)
    for text in (html, md):
        assert "2026-03 月度调度报告" in text
        assert "40.0%" in text  # completion rate
        assert "50.0%" in text  # on-time rate
        assert "书面说明逾期原因" in text and "已部署整改" in text
        assert HRSS in text
    assert html.count("<svg") == 3
    assert "<script" not in html


def test_html_escapes_hostile_titles() -> None:
    evil = _task(9, title="<script>alert(1)</script>")
    r = build_monthly_report(
        "p", "<b>方案</b>", "2026-03", iter([evil]), MonthActivity(), today=date(2026, 4, 1)
    )
    html = render_html(r)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_xlsx_ledger(tmp_path: Path) -> None:
    r = _report()
    path = write_ledger_xlsx(tmp_path / "工作台账.xlsx", [(r, lambda: iter(TASKS))])
    wb = load_workbook(path)
    assert wb.sheetnames == ["劳务品牌行动方案", "逾期事项", "汇总"]
    ws = wb["劳务品牌行动方案"]
    # A title row above the header, merged across; the two rows repeat on every printed page.
    assert ws["A1"].value == "劳务品牌行动方案 工作台账（2026-03，统计截至 2026-03-31）"
    assert "A1:I1" in [str(m) for m in ws.merged_cells.ranges]
    assert ws.print_title_rows == "$1:$2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    header = [c.value for c in ws[2]]
    assert header == [
        "序号",
        "任务",
        "牵头单位",
        "配合单位",
        "完成时限",
        "进展情况",
        "存在问题",
        "状态",
        "亮灯",
    ]
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:I7"
    assert ws.max_row == 2 + len(TASKS)
    assert ws["I5"].value == "红灯" and ws["I5"].fill.fgColor.rgb.endswith("FFCDD2")
    overdue = wb["逾期事项"]
    assert overdue.print_title_rows == "$1:$2" and overdue.page_setup.orientation == "landscape"
    assert [overdue.cell(row=i, column=2).value for i in (3, 4)] == ["任务5", "任务3"]
    assert wb["汇总"]["C3"].value == 5
    # Streaming readers rely on the sheet's declared dimension.
    assert load_workbook(path, read_only=True).worksheets[0].max_row == 2 + len(TASKS)


def test_xlsx_survives_hostile_text(tmp_path: Path) -> None:
    evil = _task(1, title="控制\x01字符<&>\"'", lead=("A&B单位",))
    r = build_monthly_report(
        "p", "方案[一]:*?/\\'测试", "2026-03", iter([evil]), MonthActivity(), today=date(2026, 4, 1)
    )
    path = write_ledger_xlsx(tmp_path / "x.xlsx", [(r, lambda: iter([evil]))])
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.title == "方案_一_______测试"
    assert ws["B3"].value == "控制字符<&>\"'" and ws["C3"].value == "A&B单位"
    assert ws.auto_filter.ref == "A2:I3" and ws.freeze_panes == "A3"
