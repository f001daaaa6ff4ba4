"""Hostile input: nothing to find, broken brackets, 10 MB of noise, huge plans, random data."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban_planparse import PlanParseError, parse_bytes, parse_text
from duban_planparse.synthetic import generate_plan

pytestmark = pytest.mark.unit

# Characters the parser reacts to, so random text exercises its rules rather than plain prose.
ALPHABET = (
    "省市区县自治区人社厅局委部负责牵头单位责任领导完成时限下同逗号前为配合各部门地"
    "：:、，,。；;（）()〔〕【】[]《》“”一二三四五六七八九十0123456789年月日底前末内"
    "%％个万人十四五期间**#->| \t\n\n附件号发文件印"
)


def test_no_responsibility_clause_at_all():
    (document,) = parse_text(
        "某市工作方案\n\n一、总体要求\n\n（一）指导思想。坚持稳中求进。\n\n"
        "二、主要任务\n\n（一）加强统筹。做好各项工作。\n（二）强化保障。落实各项措施。\n"
    ).documents
    assert [m.label for m in document.measures] == ["（一）", "（一）", "（二）"]
    assert all(m.departments == () and m.lead == () for m in document.measures)
    assert "未找到任何责任单位条款" in document.warnings


def test_prose_without_any_numbering():
    (document,) = parse_text("这是一段没有编号的文字。它说明了一些情况。").documents
    assert document.measures == ()
    assert any("未识别到任何条目" in w for w in document.warnings)


def test_unbalanced_brackets():
    (document,) = parse_text(
        "某省方案\n\n一、任务\n\n（一）甲。开展（含技工院校工作。（省财政厅负责\n\n"
        "（二）乙。省商务厅负责）做好）工作）。（省商务厅负责）\n"
        "（三）丙。（（（省民政厅负责）\n（四）丁。〕】）)（省教育厅负责）\n"
    ).documents
    by_label = {m.label: m for m in document.measures}
    assert set(by_label) == {"（一）", "（二）", "（三）", "（四）"}
    assert by_label["（一）"].departments == ()  # never closed: not a clause
    assert by_label["（二）"].departments == ("省商务厅",)
    assert by_label["（四）"].departments == ("省教育厅",)


def test_ordinary_parentheses_are_not_clauses():
    (document,) = parse_text(
        "某省方案\n\n一、任务\n\n（一）甲。支持职业院校（含技工院校）开展培训（以下简称“培训”），"
        "各旗县(市、区)负责组织。\n"
    ).documents
    assert document.measures[0].departments == ()


def test_ten_megabytes_of_random_bytes_is_a_clear_error():
    data = random.Random(3).randbytes(10 * 1024 * 1024)
    with pytest.raises(PlanParseError, match=r"noise\.bin"):
        parse_bytes(data, "noise.bin")


def test_ten_megabytes_of_text_noise_parses():
    rng = random.Random(5)
    alphabet = list(ALPHABET) + [chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(300)]
    noise = "".join(rng.choices(alphabet, k=10 * 1024 * 1024))
    result = parse_bytes(noise.encode("utf-8"), "noise.txt")
    assert result.documents
    for document in result.documents:
        assert len(document.warnings) <= 201  # capped


def test_ten_megabytes_on_one_line():
    rng = random.Random(6)
    noise = "".join(rng.choices(ALPHABET.replace("\n", ""), k=10 * 1024 * 1024))
    assert parse_text(noise).documents


def test_thousand_page_plan_finds_every_measure():
    plan = generate_plan(pages=1000)
    assert len(plan) >= 1_000_000
    (document,) = parse_text(plan).documents
    assert len(document.measures) > 1000
    assert all(m.lead for m in document.measures)
    assert all(set(m.departments) == set(m.lead) | set(m.supporting) for m in document.measures)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=3000))
def test_random_plan_like_text_never_crashes(text):
    try:
        result = parse_text(text)
    except PlanParseError:
        return
    for document in result.documents:
        data = document.to_dict()
        for measure in data["measures"]:
            assert measure["lead"] + measure["supporting"] == measure["departments"] or set(
                measure["lead"] + measure["supporting"]
            ) == set(measure["departments"])
            assert not set(measure["lead"]) & set(measure["supporting"])
            assert len(measure["canonical"]) == len(measure["departments"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_random_unicode_never_crashes(text):
    with contextlib.suppress(PlanParseError):
        parse_text(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.sampled_from(["a.txt", "a.md", "a.docx", "a.pdf", "a"]))
def test_random_bytes_never_crash(data, filename):
    with contextlib.suppress(PlanParseError):
        parse_bytes(data, filename)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_corrupted_pdf_and_zip_headers_give_plan_parse_error(tail):
    for head, name in ((b"%PDF-1.4\n", "x.pdf"), (b"PK\x03\x04", "x.docx")):
        with contextlib.suppress(PlanParseError):
            parse_bytes(head + tail, name)


GUANGDONG_NAMES = [
    "省人力资源社会保障厅", "省发展改革委", "省教育厅", "省财政厅", "省工业和信息化厅", "省民政厅",
    "省住房城乡建设厅", "省农业农村厅", "省商务厅", "省文化和旅游厅", "省市场监管局", "省乡村振兴局",
    "人民银行广州分行", "广东银保监局", "广东证监局", "省委宣传部",
]  # fmt: skip


def _clause(shape: int, lead: str, rest: list[str]) -> str:
    if shape == 0:
        return f"（{'、'.join([lead, *rest])}按职责分工负责）"
    if shape == 1:
        return f"（牵头单位：{lead}；责任单位：{'、'.join(rest)}）" if rest else f"（{lead}负责）"
    if shape == 2:
        return f"（{lead}牵头，{'、'.join(rest)}配合）" if rest else f"（{lead}牵头）"
    if shape == 3:
        return f"\n牵头单位：{lead}\n" + (f"责任单位：{'、'.join(rest)}\n" if rest else "")
    return f"\n\n{'、'.join([lead, *rest])}按职责分工负责。\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.lists(st.sampled_from(GUANGDONG_NAMES), min_size=1, max_size=6, unique=True),
            st.sampled_from(
                ["推进工作。", "到2025年底，培育品牌30个。", "加强统筹，\n\n- 2 -\n\n做好服务。"]
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_generated_plans_recover_every_clause(items):
    body = "".join(
        f"（{'一二三四五六七八'[i]}）措施{i}。{text}{_clause(shape, names[0], names[1:])}\n"
        for i, (shape, names, text) in enumerate(items)
    )
    (document,) = parse_text(f"广东省某行动方案\n\n一、主要措施\n\n{body}").documents
    assert len(document.measures) == len(items)
    for measure, (_, names, _) in zip(document.measures, items, strict=True):
        assert measure.lead == (names[0],)
        assert measure.supporting == tuple(names[1:])
        assert None not in measure.canonical
        assert "牵头" not in measure.text and "负责" not in measure.text


@pytest.mark.parametrize(
    "text",
    [
        "（" * 50_000,
        "）" * 50_000,
        "一、\n（一）\n1.\n（1）\n①\n" * 2_000,
        "1.甲。（省财政厅负责）\n" * 2_000,
        "牵头单位：" * 10_000,
        "2022年、" * 10_000,
        "培育30个、" * 10_000,
        "、".join(["省财政厅"] * 5_000) + "按职责分工负责",
        "人社部发〔2021〕66号\n关于某事的通知\n一、甲\n" * 500,
        "某省财政厅\n2022年1月1日\n" * 2_000,
        "| 序号 | 任务 | 牵头单位 |\n" * 2_000,
        "逗号前为牵头单位，下同" * 5_000,
        "“十四五”末" * 10_000,
    ],
    ids=[
        "open", "close", "headings", "clauses", "keys", "years", "numbers", "names",
        "docnums", "dates", "pipes", "notes", "horizons",
    ],
)  # fmt: skip
def test_degenerate_repetitions(text):
    result = parse_text(text)
    assert result.documents
    for document in result.documents:
        assert len(document.warnings) <= 201
