"""Issue 19: a .docx whose numbers come from Word's list numbering (not typed in the text)."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from duban_planparse import parse_bytes
from duban_planparse.numbering import FORMATS

pytestmark = pytest.mark.unit

LEVELS = [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3.")]


def _element(tag: str, **attrs: str) -> Any:
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), value)
    return element


def numbered_docx(paragraphs: list[tuple[str, int | None]]) -> bytes:
    document = docx.Document()
    numbering = document.part.numbering_part.element
    abstract = _element("w:abstractNum", abstractNumId="90")
    for ilvl, (fmt, text) in enumerate(LEVELS):
        lvl = _element("w:lvl", ilvl=str(ilvl))
        lvl.append(_element("w:start", val="1"))
        lvl.append(_element("w:numFmt", val=fmt))
        lvl.append(_element("w:lvlText", val=text))
        abstract.append(lvl)
    numbering.insert(0, abstract)
    num = _element("w:num", numId="90")
    num.append(_element("w:abstractNumId", val="90"))
    numbering.append(num)
    for content, level in paragraphs:
        paragraph = document.add_paragraph(content)
        if level is None:
            continue
        numpr = _element("w:numPr")
        numpr.append(_element("w:ilvl", val=str(level)))
        numpr.append(_element("w:numId", val="90"))
        paragraph._p.get_or_add_pPr().append(numpr)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_word_list_numbers_are_rendered():
    data = numbered_docx(
        [
            ("某市2024年工作方案", None),
            ("重点任务", 0),
            ("扩大就业", 1),
            ("开发岗位500个。（市人社局牵头，市财政局配合）", 2),
            ("组织招聘30场。（市人社局负责）", 2),
            ("稳定物价", 1),
            ("保障供应。（市发改委负责）", 2),
        ]
    )
    (document,) = parse_bytes(data, "numbered.docx").documents
    assert [(m.path, m.lead, m.supporting) for m in document.measures] == [
        (("一", "（一）", "1."), ("市人社局",), ("市财政局",)),
        (("一", "（一）", "2."), ("市人社局",), ()),
        (("一", "（二）", "1."), ("市发改委",), ()),  # a new section restarts its items
    ]


def test_number_formats():
    assert FORMATS["chineseCounting"](12) == "十二"
    assert FORMATS["chineseCounting"](20) == "二十"
    assert FORMATS["decimalEnclosedCircle"](3) == "③"
    assert FORMATS["upperRoman"](4) == "IV"
    assert FORMATS["upperLetter"](27) == "AA"


def test_paragraphs_inside_content_controls_are_read():
    document = docx.Document()
    document.add_paragraph("某县方案")
    document.add_paragraph("一、任务")
    sdt = _element("w:sdt")
    content = _element("w:sdtContent")
    paragraph = document.add_paragraph("1.甲。（县财政局负责）")._p
    content.append(paragraph)  # moves the paragraph into the control
    sdt.append(content)
    document.element.body.insert(2, sdt)
    buffer = io.BytesIO()
    document.save(buffer)
    (parsed,) = parse_bytes(buffer.getvalue(), "sdt.docx").documents
    assert [m.lead for m in parsed.measures] == [("县财政局",)]
