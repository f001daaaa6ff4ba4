"""Produce a monthly report file for a plan: the one entry point for the CLI and the API."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from task_ledger.adapters import repository as repo
from task_ledger.adapters.reports.render_text import render_html, render_markdown
from task_ledger.adapters.reports.render_xlsx import write_ledger_xlsx
from task_ledger.adapters.reports.source import monthly_report
from task_ledger.domain.errors import UnknownPlan
from task_ledger.service_layer import coverage
from task_ledger.service_layer.uow import Ledger

FORMATS = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ReportFile:
    filename: str
    media_type: str
    content: bytes


async def resolve_plan(ledger: Ledger, plan: str, scope: tuple[str, ...] | None = None) -> str:
    """A plan id, or a unique part of a plan's title, among the plans of `scope` (None: all)."""
    async with ledger.reading() as conn:
        rows = await repo.find_plans(conn, plan, scope)
    exact = [r for r in rows if r.id == plan]
    if exact:
        return exact[0].id
    if len(rows) == 1:
        return rows[0].id
    if not rows:
        raise UnknownPlan(f"找不到方案：{plan}")
    titles = "；".join(r.title for r in rows[:5])
    raise UnknownPlan(f"“{plan}”对应多个方案，请写得更具体：{titles}")


async def monthly_report_file(
    ledger: Ledger, plan: str, month: str, fmt: str, scope: tuple[str, ...] | None = None
) -> ReportFile:
    """The report of one plan; `scope` limits which plans may be named (a supervisor's)."""
    if fmt not in FORMATS:
        raise ValueError(f"不支持的格式：{fmt}（可选 html、md、xlsx、docx、pdf）")
    plan_id = await resolve_plan(ledger, plan, scope)
    async with ledger.reading() as conn:
        report, facts = await monthly_report(
            conn,
            plan_id,
            month,
            ledger.today(),
            ledger.settings.warning_days,
            with_facts=fmt == "xlsx",  # only the ledger workbook lists every task
        )
        report = replace(
            report,
            cascade=await coverage.report_summary(
                conn, plan_id, ledger.today(), ledger.settings.warning_days, scope
            ),
        )
    if fmt == "html":
        return ReportFile(f"{month}-月度调度报告.html", FORMATS[fmt], render_html(report).encode())
    if fmt == "md":
        return ReportFile(
            f"{month}-月度调度报告.md", FORMATS[fmt], render_markdown(report).encode()
        )
    if fmt in ("docx", "pdf"):  # rendering takes a while: off the event loop
        # python-docx and WeasyPrint (with Pillow and fontTools, ~60 MB resident) are loaded
        # by the first download, not by every ledger process at start.
        if fmt == "docx":
            from task_ledger.adapters.reports.render_docx import render_docx as render
        else:
            from task_ledger.adapters.reports.render_pdf import render_pdf as render
        content = await asyncio.to_thread(render, report)
        return ReportFile(f"{month}-月度调度报告.{fmt}", FORMATS[fmt], content)

    def _xlsx() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_ledger_xlsx(Path(tmp) / "ledger.xlsx", [(report, lambda: facts)])
            return path.read_bytes()

    return ReportFile(f"{month}-工作台账.xlsx", FORMATS[fmt], await asyncio.to_thread(_xlsx))
