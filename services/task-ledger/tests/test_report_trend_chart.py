"""The 近期趋势 chart: a chart when the months have figures, a plain empty state when every
figure is zero (a flat line under a lone "1" on the axis read as data)."""

from __future__ import annotations

from datetime import date

import pytest

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.adapters.reports.charts import line_chart
from task_ledger.adapters.reports.render_text import render_html
from task_ledger.domain.reports.facts import MonthActivity, TaskFacts
from task_ledger.domain.reports.monthly import build_monthly_report

pytestmark = pytest.mark.unit


def _trend_section(html: str) -> str:
    return html.split("<h2>二、近期趋势</h2>", 1)[1].split("<h2>", 1)[0]


def test_all_zero_months_show_no_chart_but_the_empty_state() -> None:
    chart = line_chart(["01", "02", "03"], [("累计办结", [0.0, 0.0, 0.0], "#2e7d32")])
    assert "本期无数据" in chart
    assert "<svg" not in chart


def test_months_with_figures_are_drawn_with_their_own_scale() -> None:
    chart = line_chart(["01", "02"], [("累计办结", [0.0, 4.0], "#2e7d32")])
    assert "<svg" in chart and ">4</text>" in chart
    assert "本期无数据" not in chart


def test_a_report_without_completed_or_overdue_tasks_says_so_in_its_trend() -> None:
    fresh = TaskFacts(
        id="t1",
        seq=1,
        title="推进零工市场建设",
        measure_id="m1",
        measure_label="（一）",
        measure_title="零工市场",
        lead=("广东省人力资源和社会保障厅",),
        supporting=(),
        original_due_on=date(2026, 12, 31),
        due_on=date(2026, 12, 31),
        status=TaskStatus.IN_PROGRESS,
        progress=10,
        light=Light.GREEN,
    )
    for tasks in ([], [fresh]):
        report = build_monthly_report(
            "p1", "方案", "2026-03", tasks, MonthActivity(), today=date(2026, 3, 12)
        )
        section = _trend_section(render_html(report))
        assert "本期无数据" in section
        assert "<svg" not in section
