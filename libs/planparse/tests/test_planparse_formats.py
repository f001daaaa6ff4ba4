"""Input formats: UTF-8/GB18030 text, Markdown, .docx, PDF, and clear errors for bad files."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest

from duban_planparse import PlanParseError, parse_bytes, parse_file

pytestmark = pytest.mark.unit

PLAN = (
    "关于推进家政服务劳务品牌建设的实施方案\n\n"
    "一、主要任务\n\n"
    "（一）培育家政品牌。到2024年底，培育省级家政劳务品牌10个。"
    "（省人力资源社会保障厅、省商务厅、省妇联按职责分工负责）\n\n"
    "（二）加强技能培训。开展家政服务培训。（省人力资源社会保障厅负责）\n"
)


def _check_plan(result):
    (document,) = result.documents
    assert document.title == "关于推进家政服务劳务品牌建设的实施方案"
    first, second = document.measures
    assert first.lead == ("省人力资源社会保障厅",)
    assert first.supporting == ("省商务厅", "省妇联")
    assert first.due == date(2024, 12, 31)
    assert [(t.value, t.unit) for t in first.targets] == [(10, "个")]
    assert second.lead == ("省人力资源社会保障厅",)


def test_utf8_text(tmp_path: Path):
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    result = parse_file(path)
    assert (result.format, result.encoding) == ("text", "utf-8")
    _check_plan(result)


def test_utf8_with_bom_and_crlf():
    result = parse_bytes(b"\xef\xbb\xbf" + PLAN.replace("\n", "\r\n").encode("utf-8"), "p.txt")
    assert result.encoding == "utf-8-sig"
    _check_plan(result)


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_gbk_text_is_detected(codec):
    result = parse_bytes(PLAN.encode(codec), "plan-gbk.txt")
    assert result.encoding == "gb18030"  # GB18030 is a superset of GBK
    _check_plan(result)


def test_utf16_text():
    result = parse_bytes(b"\xff\xfe" + PLAN.encode("utf-16-le"), "plan.txt")
    _check_plan(result)


def test_markdown():
    markdown = (
        "# 关于推进家政服务劳务品牌建设的实施方案\n\n## 一、主要任务\n\n"
        "**（一）培育家政品牌。**到2024年底，培育省级家政劳务品牌10个。"
        "**（省人力资源社会保障厅、省商务厅、省妇联按职责分工负责）**\n\n"
        "- （二）加强技能培训。开展家政服务培训。（省人力资源社会保障厅负责）\n"
    )
    result = parse_bytes(markdown.encode(), "plan.md")
    assert result.format == "markdown"
    _check_plan(result)


def _docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx():
    result = parse_bytes(_docx_bytes(PLAN.split("\n")), "plan.docx")
    assert result.format == "docx"
    _check_plan(result)


def test_docx_task_table():
    data = _docx_bytes(
        ["某县2023年重点工作任务分工方案"],
        [
            ["序号", "重点任务", "牵头单位", "责任单位", "完成时限"],
            [
                "1",
                "新建标准化厂房10万平方米",
                "县工业和信息化局",
                "县自然资源局、县住房城乡建设局",
                "2023年9月底前",
            ],
            ["2", "开展就业援助月活动", "县人力资源社会保障局", "各乡镇人民政府", "2023年3月"],
        ],
    )
    (document,) = parse_bytes(data, "tasks.docx").documents
    first, second = document.measures
    assert first.title == "新建标准化厂房10万平方米"
    assert first.lead == ("县工业和信息化局",)
    assert first.supporting == ("县自然资源局", "县住房城乡建设局")
    assert first.due == date(2023, 9, 30)
    assert second.supporting == ("各乡镇人民政府",)
    assert second.collective == ("各乡镇人民政府",)
    assert second.due == date(2023, 3, 31)


def test_pdf_text_layer_with_page_break_mid_sentence(make_pdf):
    pages = [
        [
            "关于推进家政服务劳务品牌建设的实施方案",
            "一、主要任务",
            "（一）培育家政品牌。到2024年底，培育省级家政劳务品",
            "- 1 -",
        ],
        [
            "牌10个。（省人力资源社会保障厅、省商务厅、省妇联按职责分工负责）",
            "（二）加强技能培训。开展家政服务培训。（省人力资源社会保障厅负责）",
            "- 2 -",
        ],
    ]
    result = parse_bytes(make_pdf(pages), "plan.pdf")
    assert result.format == "pdf"
    _check_plan(result)
    assert "培育省级家政劳务品牌10个" in result.documents[0].measures[0].text


def test_empty_file(tmp_path: Path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(PlanParseError, match=r"文件为空：.*empty\.txt"):
        parse_file(path)


def test_whitespace_only_file():
    with pytest.raises(PlanParseError, match=r"文件为空：blank\.txt"):
        parse_bytes(b" \n\r\n\t  \n", "blank.txt")


def test_binary_file():
    with pytest.raises(PlanParseError, match=r"二进制.*image\.png"):
        parse_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10, "image.png")


def test_missing_file(tmp_path: Path):
    with pytest.raises(PlanParseError, match="文件不存在"):
        parse_file(tmp_path / "nope.txt")


def test_directory(tmp_path: Path):
    with pytest.raises(PlanParseError, match="目录"):
        parse_file(tmp_path)


def test_legacy_word_document():
    with pytest.raises(PlanParseError, match=r"\.doc.*old\.doc"):
        parse_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "old.doc")


def test_corrupt_docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(PlanParseError, match=r"Word.*broken\.docx"):
        parse_bytes(buffer.getvalue(), "broken.docx")


def test_docx_extension_on_plain_text():
    with pytest.raises(PlanParseError, match=r"\.docx.*fake\.docx"):
        parse_bytes(PLAN.encode(), "fake.docx")


def test_corrupt_pdf():
    with pytest.raises(PlanParseError, match=r"PDF.*broken\.pdf"):
        parse_bytes(b"%PDF-1.7\n" + b"garbage " * 100, "broken.pdf")


def test_pdf_without_text_layer(make_pdf):
    with pytest.raises(PlanParseError, match=r"文本层.*scan\.pdf"):
        parse_bytes(make_pdf([[]]), "scan.pdf")


def test_undecodable_text():
    # Neither UTF-8 nor GB18030 (0x80 and 0xFF are never valid lead bytes in GB18030).
    data = bytes([0x80, 0xFF, 0x81, 0x20]) * 200
    with pytest.raises(PlanParseError, match=r"编码.*odd\.txt"):
        parse_bytes(data, "odd.txt")


SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def _summary(result):
    return [
        [(m.path, m.title, m.lead, m.supporting, m.due) for m in d.measures]
        for d in result.documents
    ]


@pytest.mark.parametrize("name", ["000_9108b65ab0af5f8f.txt", "003_719c3a43df115ca9.txt"])
def test_seed_in_gb18030_equals_utf8(name):
    text = (SEEDS / name).read_text(encoding="utf-8")
    utf8 = parse_bytes(text.encode("utf-8"), name)
    gbk = parse_bytes(text.encode("gb18030"), name)
    assert gbk.encoding == "gb18030"
    assert [d.to_dict() for d in gbk.documents] == [d.to_dict() for d in utf8.documents]


@pytest.mark.parametrize("name", ["000_9108b65ab0af5f8f.txt", "003_719c3a43df115ca9.txt"])
def test_seed_as_paginated_pdf_equals_text(make_pdf, name):
    text = (SEEDS / name).read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if line.strip()]
    pages = [[*lines[i : i + 25], f"- {i // 25 + 1} -"] for i in range(0, len(lines), 25)]
    pdf = parse_bytes(make_pdf(pages), name.replace(".txt", ".pdf"))
    assert _summary(pdf) == _summary(parse_bytes(text.encode(), name))


def test_seed_as_docx_equals_text():
    text = (SEEDS / "003_719c3a43df115ca9.txt").read_text(encoding="utf-8")
    result = parse_bytes(_docx_bytes(text.split("\n")), "003.docx")
    assert _summary(result) == _summary(parse_bytes(text.encode(), "003.txt"))
    assert sum(len(d.assigned_measures) for d in result.documents) == 14


def test_encrypted_pdf(make_pdf):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["某方案", "一、任务"]]))))
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(PlanParseError, match=r"加密.*locked\.pdf"):
        parse_bytes(buffer.getvalue(), "locked.pdf")
