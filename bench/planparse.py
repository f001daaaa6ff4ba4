"""Benchmarks of the plan importer (``python -m bench planparse``).

planparse.seeds_ms              the three seed documents (two files in seeds/), best of 7
planparse.1000_pages_s          a generated plan of 1,000 pages (~1,000,000 characters), best of 3
planparse.1000_pages_peak_mb    peak traced memory while parsing that plan
planparse.xlsx_5000_rows_s      a 5,000-row .xlsx task table, read and parsed, best of 3
planparse.xlsx_5000_rows_peak_mb  peak traced memory while doing so
"""

from __future__ import annotations

import io
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import BenchContext, Result, entry
from duban_planparse import parse_bytes, parse_text
from duban_planparse.synthetic import generate_plan

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED_FILES = ("000_9108b65ab0af5f8f.txt", "003_719c3a43df115ca9.txt")
XLSX_ROWS = 5000


def _best(runs: int, call: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def _peak_mb(call: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def task_workbook(rows: int = XLSX_ROWS) -> bytes:
    """A 任务分解表 as offices keep it: title row, 序号/重点任务/具体措施/牵头/配合/时限."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("任务分解")
    sheet.append(["某市2025年重点工作任务分解表"])
    sheet.append(["序号", "重点任务", "具体措施", "牵头单位", "配合单位", "完成时限"])
    for i in range(1, rows + 1):
        sheet.append(
            [
                i,
                f"第{(i - 1) // 50 + 1}类重点任务",
                f"推进第{i}项具体工作，完成年度目标任务{i % 97 + 3}个",
                "市发展改革委",
                "市财政局、市人社局、各县（市、区）人民政府",
                f"2025年{i % 12 + 1}月底",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(ctx: BenchContext | None = None) -> Result:
    seeds = [((SEEDS / name).read_bytes(), name) for name in SEED_FILES]

    def parse_seeds() -> None:
        for data, name in seeds:
            parse_bytes(data, name)

    parse_seeds()  # warm up imports, regex compilation and the registry
    seeds_s = _best(7, parse_seeds)

    plan = generate_plan(pages=1000)
    result = parse_text(plan, "<1000 pages>")
    assert result.documents and result.documents[0].measures
    pages_s = _best(3, lambda: parse_text(plan, "<1000 pages>"))
    pages_mb = _peak_mb(lambda: parse_text(plan, "<1000 pages>"))

    workbook = task_workbook()
    (document,) = parse_bytes(workbook, "tasks.xlsx").documents
    assert len(document.measures) == XLSX_ROWS
    xlsx_s = _best(3, lambda: parse_bytes(workbook, "tasks.xlsx"))
    xlsx_mb = _peak_mb(lambda: parse_bytes(workbook, "tasks.xlsx"))
    return {
        "planparse.seeds_ms": entry(seeds_s * 1000, "ms"),
        "planparse.1000_pages_s": entry(pages_s, "s"),
        "planparse.1000_pages_chars": entry(len(plan), "chars"),
        "planparse.1000_pages_peak_mb": entry(pages_mb, "MB"),
        "planparse.xlsx_5000_rows_s": entry(xlsx_s, "s"),
        "planparse.xlsx_5000_rows_peak_mb": entry(xlsx_mb, "MB"),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:36} {value['value']:>10} {value['unit']}")
