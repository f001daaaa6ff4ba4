"""Bytes to text: plain text in UTF-8/UTF-16/GB18030 (detected), .docx, .xlsx and PDF text layers.

ZIP containers (.docx, .xlsx) are checked entry by entry *before* anything is inflated: a zip
bomb is refused from its central directory, so a hostile upload never holds hundreds of MB.
XML is parsed with entity expansion off (python-docx's lxml parser resolves no entities;
openpyxl parses through defusedxml, which refuses entity declarations).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from .errors import PlanParseError

# Larger inputs are refused outright: no plan is this long, and parsing stays bounded.
MAX_BYTES = 64 * 1024 * 1024
# ZIP limits: what a real plan never reaches, far below what would exhaust memory.
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_ENTRY = 40 * 1024 * 1024  # inflated size of one part (an image)
# An XML part becomes a tree several times its size: 8 MB is some 2,000 pages of plan text.
MAX_XML_ENTRY = 8 * 1024 * 1024
MAX_ZIP_TOTAL = 80 * 1024 * 1024  # inflated size of the whole package
MAX_ZIP_RATIO = 120  # XML compresses 5-20x; a bomb compresses 1000x
_RATIO_FLOOR = 1024 * 1024  # tiny parts may compress very well; only large ones are judged
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DETECT_SAMPLE = 64 * 1024


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    format: str
    encoding: str | None


def decode(data: bytes, filename: str) -> DecodedText:
    if not data or not data.strip():
        raise PlanParseError(f"文件为空：{filename}")
    if len(data) > MAX_BYTES:
        raise PlanParseError(f"文件过大（{len(data) // 1024 // 1024} MB）：{filename}")
    lower = filename.lower()
    if data.startswith(b"%PDF-"):
        return DecodedText(_pdf_text(data, filename), "pdf", None)
    if data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data, filename)
        label = "Excel" if kind == "xlsx" else "Word"
        try:
            if kind == "xlsx":
                return DecodedText(_xlsx_text(data, filename), "xlsx", None)
            return DecodedText(_docx_text(data, filename), "docx", None)
        except PlanParseError:
            raise
        except Exception as exc:
            # A damaged container fails deep in zipfile/zlib/lxml/openpyxl with whatever they
            # raise (NotImplementedError for an odd zip version, EOFError, struct.error…).
            raise PlanParseError(f"无法读取 {label} 文件（文件已损坏）：{filename}") from exc
    if data.startswith(_OLE_MAGIC):
        raise PlanParseError(
            f"不支持旧版 Office 二进制格式（.doc/.wps），请另存为 .docx：{filename}"
        )
    if lower.endswith(".pdf"):
        raise PlanParseError(f"不是有效的 PDF 文件（缺少 %PDF 文件头）：{filename}")
    if lower.endswith((".docx", ".xlsx")):
        kind = ".docx" if lower.endswith(".docx") else ".xlsx"
        raise PlanParseError(f"不是有效的 {kind} 文件（不是 ZIP 容器）：{filename}")
    text, encoding = _decode_text(data, filename)
    fmt = "markdown" if lower.endswith((".md", ".markdown")) else "text"
    return DecodedText(text, fmt, encoding)


def _decode_text(data: bytes, filename: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked(data[3:].decode("utf-8", errors="replace"), filename), "utf-8-sig"
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return _checked(data[2:].decode(codec, errors="replace"), filename), codec
    if b"\x00" in data[:8192]:
        raise PlanParseError(f"文件疑似二进制内容，无法作为文本读取：{filename}")
    for codec in ("utf-8", "gb18030"):
        try:
            return _checked(data.decode(codec), filename), codec
        except UnicodeDecodeError:
            continue
    encoding = _guess_encoding(data[:_DETECT_SAMPLE])
    if encoding is None:
        raise PlanParseError(f"无法识别文件编码（既不是 UTF-8 也不是 GB18030）：{filename}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise PlanParseError(f"无法识别文件编码（{encoding} 解码失败）：{filename}") from exc
    # A guess that yields no Chinese (e.g. a Cyrillic code page) is not a plan; refuse it.
    sample = [ch for ch in text[:20000] if not ch.isspace()]
    cjk = sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff")
    if cjk < len(sample) // 10:
        raise PlanParseError(f"无法识别文件编码（既不是 UTF-8 也不是 GB18030）：{filename}")
    return _checked(text, filename), encoding


def _guess_encoding(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None or best.encoding is None:
        return None
    return str(best.encoding)


def _checked(text: str, filename: str) -> str:
    """Reject text that decoded but is mostly control characters (binary data)."""
    sample = text[:200_000]
    if not sample.strip():
        raise PlanParseError(f"文件为空：{filename}")
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    if controls > max(8, len(sample) // 100):
        raise PlanParseError(f"文件疑似二进制内容，无法作为文本读取：{filename}")
    return text


def _pdf_text(data: bytes, filename: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PlanParseError(f"PDF 文件已加密，无法读取：{filename}")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PlanParseError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise PlanParseError(f"无法读取 PDF 文件：{filename}（{exc}）") from exc
    except Exception as exc:
        # Malformed PDFs reach pypdf code paths that raise anything (NotImplementedError for
        # an unsupported filter, zlib.error, RecursionError…); all of them mean "unreadable".
        raise PlanParseError(f"无法读取 PDF 文件（文件结构损坏或不受支持）：{filename}") from exc
    # A blank line between pages lets page breaks be rejoined like in text extractions.
    text = "\n\n".join(pages)
    if not text.strip():
        raise PlanParseError(f"PDF 没有可提取的文本层（可能是扫描件）：{filename}")
    return text


def _run_text(element: Any) -> str:
    """Text of a w:p or w:tc element, keeping soft line breaks and tabs."""
    parts = []
    for node in element.iter():
        tag = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""
        if tag == "t":
            parts.append(node.text or "")
        elif tag in ("br", "cr"):
            parts.append("\n")
        elif tag == "tab":
            parts.append("\t")
    return "".join(parts)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _cell_props(tc: Any) -> tuple[int, str | None]:
    """(gridSpan, vMerge) of a w:tc: how many columns it covers, whether it continues a merge."""
    span, vmerge = 1, None
    for props in tc.iterchildren():
        if _local(props.tag) != "tcPr":
            continue
        for prop in props.iterchildren():
            name = _local(prop.tag)
            value = next((v for k, v in prop.attrib.items() if _local(k) == "val"), None)
            if name == "gridSpan" and value and value.isdigit():
                span = max(1, min(int(value), 64))
            elif name == "vMerge":
                vmerge = value or "continue"
    return span, vmerge


def _table_grid(table: Any) -> list[list[str]]:
    """Rows of a w:tbl on its column grid: a merged cell's text fills every cell it covers."""
    rows: list[list[str]] = []
    for tr in table.iterchildren():
        if _local(tr.tag) != "tr":
            continue
        row: list[str] = []
        for tc in tr.iterchildren():
            if _local(tc.tag) != "tc":
                continue
            span, vmerge = _cell_props(tc)
            column = len(row)
            if vmerge == "continue" and rows and column < len(rows[-1]):
                text = rows[-1][column]
            else:
                text = _run_text(tc)
            row.extend([text] * span)
        rows.append(row)
    return rows


def _blocks(parent: Any) -> Any:
    """Paragraphs and tables in order, also inside content controls (w:sdt) WPS and Word add."""
    for child in parent.iterchildren():
        tag = _local(child.tag)
        if tag in ("p", "tbl"):
            yield child
        elif tag == "sdt":
            for content in child.iterchildren():
                if _local(content.tag) == "sdtContent":
                    yield from _blocks(content)


def _numbering_element(document: Any) -> Any:
    """numbering.xml of the document, or None (python-docx raises when it is absent)."""
    try:
        return document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return None


def _docx_text(data: bytes, filename: str) -> str:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - dependency declared
        raise PlanParseError(f"缺少 python-docx，无法读取：{filename}") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, zlib.error) as exc:
        raise PlanParseError(f"无法读取 Word 文件（不是有效的 .docx）：{filename}") from exc
    except (SyntaxError, RecursionError) as exc:  # lxml's XMLSyntaxError is a SyntaxError
        raise PlanParseError(f"无法读取 Word 文件（不是有效的 .docx）：{filename}") from exc
    from .numbering import ListNumbering
    from .tables import table_lines

    number = ListNumbering(_numbering_element(document), document.styles.element)
    lines: list[str] = []
    body = document.element.body
    # Paragraphs and tables in document order (python-docx lists them separately).
    for child in _blocks(body):
        tag = _local(child.tag)
        if tag == "p":
            text = _run_text(child)
            lines.append(number(child) + text if text.strip() else text)
        elif tag == "tbl":
            lines.extend(table_lines(_table_grid(child)))
    text = "\n".join(lines)
    if not text.strip():
        raise PlanParseError(f"Word 文件没有文字内容：{filename}")
    return text


def _zip_kind(data: bytes, filename: str) -> str:
    """``docx`` or ``xlsx`` after checking every entry's declared size; refuses bombs.

    zipfile never inflates more than an entry's declared ``file_size``, so checking the
    declared sizes bounds what python-docx and openpyxl can later inflate.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        OSError,
        NotImplementedError,
        EOFError,
        UnicodeDecodeError,
    ) as exc:
        raise PlanParseError(f"无法读取文件（ZIP 容器损坏）：{filename}") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise PlanParseError(f"文件包含的部件过多（{len(entries)} 个），拒绝处理：{filename}")
    total = 0
    names = set()
    for info in entries:
        names.add(info.filename)
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        limit = MAX_XML_ENTRY if info.filename.endswith((".xml", ".rels")) else MAX_ZIP_ENTRY
        too_big = info.file_size > limit or total > MAX_ZIP_TOTAL
        if too_big or (info.file_size > _RATIO_FLOOR and ratio > MAX_ZIP_RATIO):
            raise PlanParseError(
                f"文件解压后过大或压缩比异常（疑似压缩炸弹），拒绝处理：{filename}"
            )
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    if filename.lower().endswith(".xlsx"):
        raise PlanParseError(f"无法读取 Excel 文件（不是有效的 .xlsx）：{filename}")
    if filename.lower().endswith(".docx"):
        raise PlanParseError(f"无法读取 Word 文件（不是有效的 .docx）：{filename}")
    raise PlanParseError(f"不支持的 ZIP 文件（既不是 Word .docx 也不是 Excel .xlsx）：{filename}")


def _xlsx_text(data: bytes, filename: str) -> str:
    from .tables import table_lines
    from .workbook import read_workbook

    lines: list[str] = []
    for sheet in read_workbook(data, filename):
        lines.extend(table_lines(sheet.rows))
        lines.append("")
    text = "\n".join(lines)
    if not text.strip():
        raise PlanParseError(f"Excel 文件没有文字内容：{filename}")
    first = next((line for line in lines if line.strip()), "")
    stem = re.sub(r"\.xlsx$", "", filename.replace("\\", "/").rsplit("/", 1)[-1], flags=re.I)
    if _HEADING_LINE.match(first) and _CJK.search(stem):
        # A sheet that starts with its rows: the file's name is the only title it has.
        text = f"{stem}\n\n{text}"
    return text


_HEADING_LINE = re.compile(r"^(?:[一二三四五六七八九十]+、|\d{1,4}\.)")
_CJK = re.compile(r"[\u4e00-\u9fff]{4}")
