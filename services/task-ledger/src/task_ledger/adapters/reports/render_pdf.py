"""The monthly report as PDF: the HTML report laid out by WeasyPrint with its print CSS (A4
landscape, header rows repeated, page numbers). WeasyPrint is a real layout engine in the
process, needing only Pango and a CJK font from the system (see the ledger's Dockerfile)."""

from __future__ import annotations

from weasyprint import HTML

from task_ledger.adapters.reports.render_text import render_html
from task_ledger.domain.reports.monthly import MonthlyReport


def render_pdf(report: MonthlyReport) -> bytes:
    pdf = HTML(string=render_html(report)).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf
