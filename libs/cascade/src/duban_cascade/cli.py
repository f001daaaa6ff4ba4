"""Rendering for ``duban plan cascade FILE ... --format json|table`` (command: duban.cli)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .cascade import Cascade, build_cascade
from .files import read_plans

FORMATS = ("json", "table")


def cascade_files(paths: Sequence[str | Path]) -> Cascade:
    """Parse every file (raises ``PlanParseError`` with a Chinese message) and link the plans."""
    return build_cascade([plan for path in paths for plan in read_plans(path)])


def render(cascade: Cascade, format: str, width: int | None = None) -> str:
    """``width`` of the table: the terminal's by default, never under 100 columns."""
    if format == "json":
        return json.dumps(cascade.to_dict(), ensure_ascii=False, indent=2)
    if format == "table":
        return format_table(cascade, width or max(100, shutil.get_terminal_size().columns))
    raise ValueError(f"--format 只能是 {' 或 '.join(FORMATS)}")


def format_table(cascade: Cascade, width: int = 140) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False)

    plans = Table(title="方案及其上级方案", show_lines=False)
    for column in ("方案", "文号", "辖区", "上级方案", "依据"):
        # A 文号 broken over two lines cannot be searched for or copied.
        whole = column in ("文号", "辖区", "上级方案")
        plans.add_column(column, overflow="fold", no_wrap=whole)
    for plan in cascade.plans:
        link = cascade.parent_of(plan)
        plans.add_row(
            plan.title,
            plan.doc_number or "—",
            plan.jurisdiction or "—",
            link.parent_key if link else "—",
            link.reason if link else "",
        )
    console.print(plans)

    for matching in cascade.matchings:
        table = Table(title=f"《{matching.child.title}》承接《{matching.parent.title}》的措施")
        for column, ratio in (("下级措施", 3), ("上级措施", 3), ("得分", 1), ("依据", 5)):
            table.add_column(column, ratio=ratio, overflow="fold", no_wrap=column == "得分")
        local = {m.key for m in matching.local}
        for measure in matching.child.measures:
            name = f"{measure.label} {measure.title}"
            if measure.key in local:
                table.add_row(name, "（本地新增，无上级措施）", "", "")
            for measure_link in matching.links:
                if measure_link.child.key == measure.key:
                    superior = measure_link.parent
                    table.add_row(
                        name, f"{superior.label} {superior.title}", f"{measure_link.score:.2f}",
                        measure_link.reason,
                    )  # fmt: skip
        console.print(table)

    uncovered = cascade.uncovered()
    if uncovered:
        table = Table(title="无下级方案承接的上级措施")
        for column in ("方案", "编号", "措施"):
            table.add_column(column, overflow="fold", no_wrap=column != "措施")
        for plan, measure in uncovered:
            table.add_row(plan.key, measure.label, measure.title)
        console.print(table)
    elif cascade.matchings:
        console.print("上级措施均已有下级方案承接。")
    return out.getvalue()
