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
PLAIN, HEADER, WRAP, GREEN, YELLOW, RED, TITLE = range(7)

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FLUSH_ROWS = 2_000

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet {_NS}>
<fonts count="3"><font><sz val="11"/><name val="等线"/></font><font><b/><sz val="11"/><name val="等线"/></font><font><b/><sz val="14"/><name val="等线"/></font></fonts>
<fills count="6"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFDDDDDD"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFC8E6C9"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFFFF59D"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFFFCDD2"/></patternFill></fill></fills>
<borders count="2"><border/><border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf>
<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="0" fontId="0" fillId="4" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="0" fontId="0" fillId="5" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf></cellXfs>
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

    def __init__(
        self, out: IO[bytes], title: str, widths: Sequence[int], head_rows: int = 1
    ) -> None:
        self.out, self.title, self.widths = out, title, widths
        # Rows above the data: the header, below a title row when the sheet has one. They are
        # frozen on screen and repeated on every printed page.
        self.head_rows = head_rows
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
        """Finish the sheet; returns its autofilter range (the header row and the data)."""
        self._flush()
        last = self._cols[-1]
        ref = f"A{self.head_rows}:{last}{max(self.head_rows, self.rows)}"
        merge = (
            f'<mergeCells count="1"><mergeCell ref="A1:{last}1"/></mergeCells>'
            if self.head_rows > 1
            else ""
        )
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(self.widths)
        )
        self.out.write(
            (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS} {_NS_R}>'
                '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
                f'<dimension ref="A1:{last}{max(1, self.rows)}"/>'
                f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{self.head_rows}" '
                f'topLeftCell="A{self.head_rows + 1}" activePane="bottomLeft" state="frozen"/>'
                "</sheetView></sheetViews>"
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
            ).encode()
        )
        self._rows_file.seek(0)
        shutil.copyfileobj(self._rows_file, self.out, 1 << 20)
        self._rows_file.close()
        # Printed landscape on A4, as wide as one page, header rows repeated (print titles).
        self.out.write(
            f'</sheetData><autoFilter ref="{ref}"/>{merge}'
            '<printOptions horizontalCentered="1"/>'
            '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
            '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            "<headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>"
            "</worksheet>".encode()
        )
        self.out.close()
        return ref


class Workbook:
    """Sheets are written one after the other; `sheet()` closes the previous one."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[tuple[str, str, int]] = []  # (title, autofilter range, head rows)
        self._open: Sheet | None = None

    def sheet(
        self, title: str, header: Sequence[tuple[str, int]], caption: str | None = None
    ) -> Sheet:
        """A new sheet with its header row; `caption`: a title row above it (merged across)."""
        self._close_open()
        n = len(self.sheets) + 1
        out = self.zip.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True)
        self._open = Sheet(out, title, [w for _, w in header], 2 if caption else 1)
        if caption:
            self._open.append([(caption, TITLE)])
        self._open.append([(name, HEADER) for name, _ in header])
        return self._open

    def _close_open(self) -> None:
        if self._open is not None:
            sheet = self._open
            self.sheets.append((sheet.title, sheet.close(), sheet.head_rows))
            self._open = None

    def close(self) -> None:
        self._close_open()
        n = len(self.sheets)
        sheets = "".join(
            f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (t, _, _) in enumerate(self.sheets, start=1)
        )
        quoted = ["'" + escape(t).replace(chr(39), chr(39) * 2) + "'" for t, _, _ in self.sheets]
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{quoted[i]}!{_absolute(ref)}</definedName>"
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
            f"{quoted[i]}!$1:${head}</definedName>"
            for i, (_, ref, head) in enumerate(self.sheets)
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
