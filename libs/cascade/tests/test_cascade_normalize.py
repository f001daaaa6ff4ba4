"""文号 and title normalisation, and what counts as a citation of a superior plan."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from duban_cascade import find_citations, normalize, normalize_doc_number, plan_title, title_keys
from duban_cascade.citations import Citation
from duban_cascade.normalize import find_doc_numbers

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "raw",
    [
        "人社部发〔2021〕66号",
        "人社部发[2021]66号",
        "人社部发［2021］66 号",
        "人社部发（２０２１）６６号",
        "人社部发(2021)66号",
        "人社部发【2021】66号",
        "人社部发 〔 2021 〕 第 66 号",
        "（人社部发〔2021〕66 号）",
        "根据人社部发〔2021〕66号文件",
    ],
)
def test_every_printing_of_a_doc_number_has_one_canonical_form(raw: str) -> None:
    assert normalize_doc_number(raw) == "人社部发〔2021〕66号"


def test_text_without_a_doc_number_normalises_to_none() -> None:
    assert normalize_doc_number("关于劳务品牌建设的指导意见") is None
    assert normalize_doc_number("") is None
    assert normalize_doc_number(None) is None


def test_doc_numbers_found_in_order_without_repeats() -> None:
    text = "根据粤府〔2020〕1号和人社部发[2021]66号，以及人社部发〔2021〕66号"
    assert find_doc_numbers(text) == ["粤府〔2020〕1号", "人社部发〔2021〕66号"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "关于印发《内蒙古自治区劳务品牌\n建设实施方案》的通知",
            "内蒙古自治区劳务品牌建设实施方案",
        ),
        ("关于印发江西省家政服务行动方案的通知", "江西省家政服务行动方案"),
        ("关于转发《某某方案》的通知", "某某方案"),
        ("关于加强劳务品牌建设的行动方案", "关于加强劳务品牌建设的行动方案"),
    ],
)
def test_plan_title_unwraps_transmittal_notices(title: str, expected: str) -> None:
    assert plan_title(title) == expected


def test_title_keys_ignore_spacing_quotes_and_the_issuer_list() -> None:
    printed = title_keys("人力资源社会保障部 国家发展改革委等 20 部门关于劳务品牌建设的指导意见")
    cited = title_keys("《人力资源社会保障部国家发展改革委等20部门关于劳务品牌建设的指导意见》")
    short = title_keys("关于劳务品牌建设的指导意见")
    assert printed == cited
    assert short <= printed
    assert not title_keys("关于加强劳务品牌建设的行动方案") & printed


@pytest.mark.parametrize(
    "sentence",
    [
        "根据《某省行动方案》（某发〔2022〕3号）要求，制定本方案。",
        "按照《某省行动方案》（某发〔2022〕3号）部署，结合实际，制定本方案。",
        "为贯彻落实《某省行动方案》（某发〔2022〕3号），制定本方案。",
        "现依据《某省行动方案》（某发[2022]3号）精神，制定本方案。",
    ],
)
def test_a_title_with_its_number_after_a_trigger_is_cited(sentence: str) -> None:
    assert find_citations(sentence) == [Citation("cited", "某省行动方案", "某发〔2022〕3号")]


def test_a_title_named_without_a_trigger_is_not_a_citation() -> None:
    text = "我们制定了《某市实施方案》，现印发给你们。请参阅有关材料。"
    assert find_citations(text) == []


def test_a_number_alone_after_a_trigger_is_cited() -> None:
    assert find_citations("根据某发〔2022〕3号文件精神，制定本方案。") == [
        Citation("cited", None, "某发〔2022〕3号")
    ]


def test_annexes_listed_after_the_body_are_carried() -> None:
    text = (
        "现印发你们，请认真贯彻落实。\n"
        "附件：1. 关于加强劳务品牌建设的行动方案\n"
        "2. 人力资源社会保障部 国家发展改革委等 20 部门关于劳务品牌建设的指导意见（人社部发〔2021〕66 号）\n"
        "\n广东省人力资源和社会保障厅\n"
    )
    assert find_citations(text) == [
        Citation("annex", "关于加强劳务品牌建设的行动方案", None),
        Citation(
            "annex",
            "人力资源社会保障部国家发展改革委等20部门关于劳务品牌建设的指导意见",
            "人社部发〔2021〕66号",
        ),
    ]


def test_an_annex_heading_without_a_list_carries_nothing() -> None:
    assert find_citations("附件 1\n\n关于加强劳务品牌建设的行动方案\n\n一、目标任务\n") == []


def test_a_long_text_is_compacted_a_piece_at_a_time_as_it_would_be_whole() -> None:
    """Pieces are cut after a line break, where NFKC never composes (combining marks, jamo)."""
    rng = random.Random(7)
    tricky = [
        "a\u0301",
        "\u0308",
        " ",
        "\t",
        "\n",
        "\n\u0301",
        "\u3000",
        "（１．〔〕",
        "ﬁ㍻",
        "\u1100\n\u1161",
    ]
    text = "".join(rng.choice(tricky) for _ in range(3 * normalize._PIECE // 2))
    assert len(text) > 2 * normalize._PIECE
    assert normalize.compact(text) == re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
