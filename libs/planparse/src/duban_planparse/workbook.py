"""Excel task tables (.xlsx) read with openpyxl: every sheet as rows of cell texts.

Merged cells carry their value into every cell they cover (a 重点任务 merged over five rows
belongs to each of the five rows), which is what the table reader expects from .docx too.
The workbook is opened in full mode because read-only mode does not expose merged ranges; the
sheet XML is bounded beforehand (``MAX_SHEET_XML``), so memory stays bounded as well.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .errors import PlanParseError

# Inflated sheet XML accepted in full mode: a 5,000-row task table is about 3 MB.
MAX_SHEET_XML = 24 * 1024 * 1024  # all sheets and shared strings together
MAX_CELLS = 400_000


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    rows: list[list[str]]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_xml_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(
            i.file_size
            for i in archive.infolist()
            if i.filename.startswith("xl/worksheets/") or i.filename == "xl/sharedStrings.xml"
        )


def read_workbook(data: bytes, filename: str) -> list[Sheet]:
    import openpyxl

    if _sheet_xml_size(data) > MAX_SHEET_XML:
        raise PlanParseError(f"Excel 工作表过大，拒绝处理：{filename}")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except PlanParseError:
        raise
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile, zlib.error) as exc:
        raise PlanParseError(f"无法读取 Excel 文件（不是有效的 .xlsx）：{filename}") from exc
    except Exception as exc:  # defusedxml's refusals and XML syntax errors have no common base
        raise PlanParseError(
            f"无法读取 Excel 文件（内容损坏或含不安全的 XML）：{filename}"
        ) from exc
    sheets: list[Sheet] = []
    cells = 0
    try:
        for ws in book.worksheets:
            if ws.sheet_state != "visible":
                continue
            rows = [[_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
            cells += sum(len(r) for r in rows)
            if cells > MAX_CELLS:
                raise PlanParseError(
                    f"Excel 单元格过多（超过 {MAX_CELLS} 个），拒绝处理：{filename}"
                )
            for merged in ws.merged_cells.ranges:
                r0, c0 = merged.min_row - 1, merged.min_col - 1
                if r0 >= len(rows) or c0 >= len(rows[r0]):
                    continue
                value = rows[r0][c0]
                for r in range(r0, min(merged.max_row, len(rows))):
                    row = rows[r]
                    for c in range(c0, min(merged.max_col, len(row))):
                        row[c] = value
            # Trailing empty rows and columns (formatting only) are dropped.
            rows = [r for r in rows if any(r)]
            if rows:
                sheets.append(Sheet(ws.title, rows))
    finally:
        book.close()
    return sheets
