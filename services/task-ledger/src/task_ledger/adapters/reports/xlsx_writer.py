# ruff: noqa: E501  (SpreadsheetML literals read best unbroken)
"""A small streaming xlsx writer: rows go straight into the zip as XML, with inline strings.

General-purpose libraries spend most of their time per cell (type checks, shared-string
tables, style objects); the ledger needs only text and numbers in a handful of fixed styles,
so writing the SpreadsheetML itself is several times faster and keeps memory flat.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO
from xml.sax.saxutils import escape

# Style ids, in the order of cellXfs in STYLES below.
PLAIN, HEADER, WRAP, GREEN, YELLOW, RED = range(6)

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FLUSH_ROWS = 2_000

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet {_NS}>
<fonts count="2"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font></fonts>
<fills count="6"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFDDDDDD"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFC8E6C9"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFFFF59D"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFFFCDD2"/></patternFill></fill></fills>
<borders count="2"><border/><border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf>
<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="0" fontId="0" fillId="4" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="0" fontId="0" fillId="5" borderId="0" xfId="0" applyFill="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def column(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _absolute(ref: str) -> str:
    """A1:I6 -> $A$1:$I$6"""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


Cell = str | int | float | tuple[str | int | float, int]  # value, or (value, style id)


class Sheet:
    """Rows go to a temporary file first: the sheet's <dimension>, which readers rely on,
    precedes the rows and is known only at the end."""

    def __init__(self, out: IO[bytes], title: str, widths: Sequence[int]) -> None:
        self.out, self.title, self.widths = out, title, widths
        self.rows = 0
        self._cols = [column(i) for i in range(len(widths))]
        self._buffer: list[str] = []
        self._rows_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()

    def append(self, cells: Iterable[Cell]) -> None:
        self.rows += 1
        r = self.rows
        parts = [f'<row r="{r}">']
        for col, cell in zip(self._cols, cells, strict=False):
            value, style = cell if isinstance(cell, tuple) else (cell, PLAIN)
            s = f' s="{style}"' if style else ""
            if isinstance(value, int | float) and not isinstance(value, bool):
                parts.append(f'<c r="{col}{r}"{s}><v>{value}</v></c>')
            elif value:
                text = escape(_ILLEGAL.sub("", str(value)))
                parts.append(
                    f'<c r="{col}{r}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'
                )
            elif style:
                parts.append(f'<c r="{col}{r}"{s}/>')
        parts.append("</row>")
        self._buffer.append("".join(parts))
        if len(self._buffer) >= _FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        self._rows_file.write("".join(self._buffer).encode())
        self._buffer.clear()

    def close(self) -> str:
        """Finish the sheet; returns its autofilter range."""
        self._flush()
        ref = f"A1:{self._cols[-1]}{max(1, self.rows)}"
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(self.widths)
        )
        self.out.write(
            (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} {_NS_R}>'
                f'<dimension ref="{ref}"/>'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
            ).encode()
        )
        self._rows_file.seek(0)
        shutil.copyfileobj(self._rows_file, self.out, 1 << 20)
        self._rows_file.close()
        self.out.write(f'</sheetData><autoFilter ref="{ref}"/></worksheet>'.encode())
        self.out.close()
        return ref


class Workbook:
    """Sheets are written one after the other; `sheet()` closes the previous one."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[tuple[str, str]] = []  # (title, autofilter range)
        self._open: Sheet | None = None

    def sheet(self, title: str, header: Sequence[tuple[str, int]]) -> Sheet:
        self._close_open()
        n = len(self.sheets) + 1
        out = self.zip.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True)
        self._open = Sheet(out, title, [w for _, w in header])
        self._open.append([(name, HEADER) for name, _ in header])
        return self._open

    def _close_open(self) -> None:
        if self._open is not None:
            self.sheets.append((self._open.title, self._open.close()))
            self._open = None

    def close(self) -> None:
        self._close_open()
        n = len(self.sheets)
        sheets = "".join(
            f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (t, _) in enumerate(self.sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"'{escape(t).replace(chr(39), chr(39) * 2)}'!{_absolute(ref)}</definedName>"
            for i, (t, ref) in enumerate(self.sheets)
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        self.zip.writestr(
            "xl/workbook.xml",
            f"{head}<workbook {_NS} {_NS_R}><sheets>{sheets}</sheets>"
            f"<definedNames>{names}</definedNames></workbook>",
        )
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        self.zip.writestr("xl/styles.xml", STYLES)
        self.zip.writestr(
            "_rels/.rels",
            f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        self.zip.writestr(
            "[Content_Types].xml",
            f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        self.zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.zip.close()
