"""The monthly report as HTML (printable, with charts) and as Markdown."""

from __future__ import annotations

from datetime import date
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from duban_contracts.vocabulary import EscalationLevel, Light, TaskStatus
from task_ledger.adapters.reports.charts import LIGHT_COLOURS, bar_chart, line_chart
from task_ledger.domain.reports.monthly import RATE_RULE, SCORE_RULE, MonthlyReport

HTML_OVERDUE_LIMIT = 500  # longer lists live in the Excel ledger


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _markdown_cell(value: object) -> object:
    """Keep table cells in one piece: no raw pipes or line breaks from user text."""
    if isinstance(value, str):
        return value.replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return value


@cache  # one per process: building it compiled the template again on every request
def _env(markdown: bool = False) -> Environment:
    env = Environment(
        loader=PackageLoader("task_ledger.adapters.reports", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_markdown_cell if markdown else None,
    )
    env.filters["pct"] = pct
    env.filters["names"] = lambda names: "、".join(names)
    return env


def _context(report: MonthlyReport) -> dict[str, object]:
    lights = [(lt.label, float(report.overall.lights[lt]), LIGHT_COLOURS[lt.value]) for lt in Light]
    ranking_charts = {
        level: bar_chart(
            [(d.name, d.score, "#1565c0") for d in lines[:15] if d.as_lead.tasks], unit="分"
        )
        for level, lines in report.department_groups
    }
    months = [p.month[2:] for p in report.trend]
    trend = line_chart(
        months,
        [
            ("累计办结", [float(p.completed) for p in report.trend], "#2e7d32"),
            ("逾期未办结", [float(p.overdue) for p in report.trend], "#c62828"),
        ],
    )
    return {
        "r": report,
        "statuses": [(s.label, report.status_counts[s]) for s in TaskStatus],
        "lights": [(lt.label, report.overall.lights[lt]) for lt in Light],
        "light_chart": bar_chart(lights),
        "ranking_charts": ranking_charts,
        "rate_rule": RATE_RULE,
        "trend_chart": trend,
        "overdue_shown": report.overdue[:HTML_OVERDUE_LIMIT],
        "score_rule": SCORE_RULE,
        "level_label": lambda level: EscalationLevel(level).label,
        "generated_on": date.today(),
    }


def render_html(report: MonthlyReport) -> str:
    return _env().get_template("monthly.html.j2").render(**_context(report))


def render_markdown(report: MonthlyReport) -> str:
    return _env(markdown=True).get_template("monthly.md.j2").render(**_context(report))
