"""Benchmark: the monthly report over 100,000 and 1,000,000 tasks (facts already loaded), and
its Word and PDF renderings of a 1,000-task plan (python-docx, WeasyPrint; see docs/reports.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.adapters.reports.render_docx import render_docx
from task_ledger.adapters.reports.render_pdf import render_pdf
from task_ledger.adapters.reports.render_text import render_html
from task_ledger.adapters.reports.render_xlsx import write_ledger_xlsx
from task_ledger.domain.reports.facts import MonthActivity, TaskFacts
from task_ledger.domain.reports.monthly import build_monthly_report

DEPARTMENTS = [f"第{i}部门" for i in range(60)]
STATUSES = list(TaskStatus)


def synthetic_tasks(n: int) -> Iterator[TaskFacts]:
    """Deterministic, varied tasks; cheap to make so the figure is the report's own cost."""
    start = date(2026, 1, 1)
    lights = list(Light)
    nd = len(DEPARTMENTS)
    for i in range(n):
        due = start + timedelta(days=(i * 37) % 180)
        status = STATUSES[i % len(STATUSES)]
        done = status in (TaskStatus.COMPLETED, TaskStatus.CLOSED)
        yield TaskFacts(
            id=f"t{i}",
            seq=i + 1,
            title=f"第{i}项任务：推进劳务品牌建设",
            measure_id=f"m{i % 40}",
            measure_label=f"（{i % 40 + 1}）",
            measure_title=f"措施{i % 40}",
            lead=(DEPARTMENTS[(i * 7) % nd],),
            supporting=(DEPARTMENTS[(i * 11 + 1) % nd], DEPARTMENTS[(i * 13 + 2) % nd]),
            original_due_on=due,
            due_on=due,
            status=status,
            progress=100 if done else (i * 31) % 100,
            light=lights[i % 3],
            completed_on=due + timedelta(days=(i % 30) - 10) if done else None,
            latest_progress="已完成阶段性工作，正在推进下一步",
            problems="",
        )


def _measure(n: int, workdir: Path, xlsx: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    report = build_monthly_report(
        "p", "劳务品牌行动方案", "2026-03", synthetic_tasks(n), MonthActivity(), date(2026, 3, 31)
    )
    html = render_html(report)
    out[f"report.{n}_tasks.html_s"] = {
        "value": round(time.perf_counter() - t0, 3),
        "unit": "s",
        "baseline": None,
        "ratio": None,
    }
    out[f"report.{n}_tasks.html_kb"] = {
        "value": round(len(html.encode()) / 1024, 1),
        "unit": "KiB",
        "baseline": None,
        "ratio": None,
    }
    if xlsx:
        t0 = time.perf_counter()
        write_ledger_xlsx(workdir / f"ledger-{n}.xlsx", [(report, lambda: synthetic_tasks(n))])
        out[f"report.{n}_tasks.xlsx_s"] = {
            "value": round(time.perf_counter() - t0, 3),
            "unit": "s",
            "baseline": None,
            "ratio": None,
        }
    return out


def _documents(n: int) -> dict[str, Any]:
    """Seconds to render a plan of n tasks as .docx and as PDF (the downloads on the page)."""
    report = build_monthly_report(
        "p", "劳务品牌行动方案", "2026-03", synthetic_tasks(n), MonthActivity(), date(2026, 3, 31)
    )
    out: dict[str, Any] = {}
    for fmt, render in (("docx", render_docx), ("pdf", render_pdf)):
        t0 = time.perf_counter()
        size = len(render(report))
        out[f"report.{n}_tasks.{fmt}_s"] = {
            "value": round(time.perf_counter() - t0, 3),
            "unit": "s",
            "baseline": None,
            "ratio": None,
        }
        out[f"report.{n}_tasks.{fmt}_kb"] = {
            "value": round(size / 1024, 1),
            "unit": "KiB",
            "baseline": None,
            "ratio": None,
        }
    return out


def run(ctx: Any) -> dict[str, Any]:
    workdir = Path(ctx.workdir)
    results = _documents(1_000)
    results.update(_measure(100_000, workdir, xlsx=True))
    results.update(_measure(1_000_000, workdir, xlsx=True))
    with open("/proc/self/statm") as f:
        import os

        rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    results["report.rss_mb"] = {
        "value": round(rss, 1),
        "unit": "MB",
        "baseline": None,
        "ratio": None,
    }
    return results
