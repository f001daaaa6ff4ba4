"""Issue 19: hostile .docx/.xlsx/.pdf files end in PlanParseError within a memory bound.

Zip bombs are refused from the ZIP directory before anything is inflated; XML entity
declarations are never expanded; malformed PDFs never escape as zlib/NotImplementedError.
"""

from __future__ import annotations

import contextlib
import io
import random
import tracemalloc
import zipfile

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban_planparse import PlanParseError, parse_bytes

pytestmark = pytest.mark.unit

MEMORY_BOUND = 100 * 1024 * 1024


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("某市方案")
    document.add_paragraph("一、任务")
    document.add_paragraph("1.甲。（市财政局负责）")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["序号", "工作任务", "牵头单位"])
    ws.append([1, "甲", "市财政局"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _replace_part(package: bytes, part: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = content if info.filename == part else src.read(info.filename)
            dst.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _bounded(call):
    tracemalloc.start()
    try:
        call()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MEMORY_BOUND


@pytest.mark.parametrize(
    ("make", "part", "name"),
    [
        (_docx_bytes, "word/document.xml", "bomb.docx"),
        (_xlsx_bytes, "xl/worksheets/sheet1.xml", "bomb.xlsx"),
    ],
)
def test_zip_bomb_is_refused_before_inflating(make, part, name):
    # 200 MB of zeros compresses to about 200 KB: the ratio gives it away.
    bomb = _replace_part(make(), part, b"\0" * (200 * 1024 * 1024))
    with pytest.raises(PlanParseError, match="压缩炸弹"):
        _bounded(lambda: parse_bytes(bomb, name))


def test_many_parts_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
        for i in range(2500):
            archive.writestr(f"junk/{i}.xml", "")
    with pytest.raises(PlanParseError, match="部件过多"):
        parse_bytes(out.getvalue(), "many.docx")


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


def test_entity_expansion_in_docx_is_never_expanded():
    body = (
        BILLION_LAUGHS
        + b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    hostile = _replace_part(_docx_bytes(), "word/document.xml", body)

    def run():
        try:
            result = parse_bytes(hostile, "laughs.docx")
        except PlanParseError:
            return
        text = "".join(m.text for d in result.documents for m in d.measures)
        assert "lollol" not in text

    _bounded(run)


def test_entity_expansion_in_xlsx_is_refused():
    sheet = (
        BILLION_LAUGHS
        + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    hostile = _replace_part(_xlsx_bytes(), "xl/worksheets/sheet1.xml", sheet)
    with pytest.raises(PlanParseError):
        _bounded(lambda: parse_bytes(hostile, "laughs.xlsx"))


def test_zip_that_is_neither_word_nor_excel():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(PlanParseError, match="不支持的 ZIP"):
        parse_bytes(out.getvalue(), "archive.zip")


def test_truncated_xlsx():
    data = _xlsx_bytes()
    with pytest.raises(PlanParseError):
        parse_bytes(data[: len(data) // 2], "cut.xlsx")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=400), st.integers(min_value=0, max_value=10_000))
def test_mangled_pdf_never_escapes(noise, seed):
    from conftest import build_pdf

    pdf = bytearray(build_pdf([["某市方案", "一、任务", "1.甲。（市财政局负责）"]]))
    rng = random.Random(seed)
    start = rng.randrange(9, len(pdf))  # keep the %PDF- header
    pdf[start : start + len(noise)] = noise
    with contextlib.suppress(PlanParseError):
        parse_bytes(bytes(pdf), "mangled.pdf")


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.binary(min_size=1, max_size=64))
def test_mangled_xlsx_and_docx_never_escape(seed, noise):
    for data, name in ((_xlsx_bytes(), "m.xlsx"), (_docx_bytes(), "m.docx")):
        mangled = bytearray(data)
        rng = random.Random(seed)
        start = rng.randrange(4, len(mangled))
        mangled[start : start + len(noise)] = noise
        with contextlib.suppress(PlanParseError):
            parse_bytes(bytes(mangled), name)
