"""The monthly report as a Word document (.docx, python-docx): the figures and tables of the
HTML report, without its charts, in a form offices edit and forward."""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell

from duban_contracts.vocabulary import EscalationLevel, Light
from task_ledger.adapters.reports.render_text import pct
from task_ledger.domain.reports.monthly import RATE_RULE, SCORE_RULE, MonthlyReport

FONT = "宋体"
RANK_HEADER = (
    "排名",
    "单位",
    "牵头任务",
    "牵头已办结",
    "牵头逾期",
    "平均进度",
    "月报缺报",
    "综合得分",
)
DOCX_OVERDUE_LIMIT = 500  # as the HTML report; the full list is in the Excel ledger


def _table(doc: object, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    # All rows at once, cells reached through their own row: python-docx's add_row() and
    # row.cells walk the whole table, which made a 500-row table quadratic (seconds).
    table = doc.add_table(rows=1 + len(rows), cols=len(header))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    trs = table._tbl.tr_lst
    for tc, text in zip(trs[0].tc_lst, header, strict=True):
        cell = _Cell(tc, table)
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    # Repeat the header row on every page the table spans.
    tr_pr = trs[0].get_or_add_trPr()
    tr_pr.append(tr_pr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))
    for tr, row in zip(trs[1:], rows, strict=True):
        for tc, value in zip(tr.tc_lst, row, strict=True):
            _Cell(tc, table).text = "" if value is None else str(value)


def render_docx(report: MonthlyReport) -> bytes:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    # East Asian text takes the eastAsia font, not the Latin one.
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))

    title = doc.add_heading(f"{report.plan_title}\n{report.month} 月度调度报告", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    o = report.overall
    counted = f"本方案共 {report.measures_total} 项措施、{o.tasks} 项任务"
    if report.child_tasks:
        counted += f"（另分解下级任务 {report.child_tasks} 项，计入上级任务，不重复统计）"
    doc.add_paragraph(f"统计截至 {report.as_of}。{counted}。")

    doc.add_heading("一、总体情况", level=1)
    _table(
        doc,
        ("任务总数", "已办结", "办结率", "按期办结率", "平均进度", "逾期未办结", "本月催办"),
        [(
            o.tasks, o.completed, pct(o.completion_rate),
            f"{pct(o.on_time_rate)}（{o.completed_on_time}/{o.completed}）",
            f"{o.avg_progress:.1f}%", o.overdue, report.reminders_total,
        )],
    )  # fmt: skip
    _table(doc, [lt.label for lt in Light], [[o.lights[lt] for lt in Light]])
    doc.add_paragraph(RATE_RULE)

    doc.add_heading("二、分措施推进情况", level=1)
    _table(
        doc,
        ("措施", "任务数", "已办结", "平均进度", "逾期未办结"),
        [
            (f"{m.label} {m.title}", m.tally.tasks, m.tally.completed,
             f"{m.tally.avg_progress:.1f}%", m.tally.overdue)
            for m in report.measures
        ],
    )  # fmt: skip

    doc.add_heading("三、分单位推进情况与排名", level=1)
    for level, lines in report.department_groups:
        doc.add_heading(level, level=2)
        _table(
            doc,
            RANK_HEADER,
            [
                (d.rank, d.name, d.as_lead.tasks, d.as_lead.completed, d.as_lead.overdue,
                 f"{d.as_lead.avg_progress:.1f}%", d.missing_reports, d.score)
                for d in lines
            ],
        )  # fmt: skip
    doc.add_paragraph(SCORE_RULE)

    doc.add_heading("四、逾期未办结任务", level=1)
    if report.overdue:
        _table(
            doc,
            ("序号", "任务", "牵头单位", "完成时限", "逾期（工作日）", "进度", "本月催办"),
            [
                (x.seq, x.title, "、".join(x.lead), x.due_on, x.days_late, f"{x.progress}%",
                 x.reminders)
                for x in report.overdue[:DOCX_OVERDUE_LIMIT]
            ],
        )  # fmt: skip
    else:
        doc.add_paragraph("本月无逾期未办结任务。")

    doc.add_heading("五、催办与升级督办", level=1)
    escalations = report.activity.escalations
    doc.add_paragraph(
        f"本月共发出催办提醒 {report.reminders_total} 次，升级督办 {len(escalations)} 次。"
    )
    if escalations:
        _table(
            doc,
            ("日期", "任务", "等级", "涉及单位"),
            [
                (e.on, e.task_title, EscalationLevel(e.level).label, "、".join(e.departments))
                for e in escalations
            ],
        )
    doc.add_heading("六、月度进展缺报", level=1)
    missing = report.activity.missing_reports
    if missing:
        _table(
            doc,
            ("单位", "期次", "连续缺报次数"),
            [(m.department, m.period, m.consecutive_misses) for m in missing],
        )
    else:
        doc.add_paragraph("本月各单位均按时报送进展。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
