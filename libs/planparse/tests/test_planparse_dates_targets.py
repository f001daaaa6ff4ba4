"""Deadlines, plan horizons, phased milestones, quantitative targets and contradictions."""

from __future__ import annotations

from datetime import date

import pytest

from duban_planparse import Target
from duban_planparse.dates import (
    cn_int,
    find_mentions,
    latest_deadline,
    milestones,
    parse_date_line,
)
from duban_planparse.targets import contradictions, find_targets

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("2022年10月底前出台", date(2022, 10, 31)),
        ("2022年2月底前", date(2022, 2, 28)),
        ("2024年2月底前", date(2024, 2, 29)),
        ("至2021年12月31日", date(2021, 12, 31)),
        ("2025年底", date(2025, 12, 31)),
        ("2023年上半年完成", date(2023, 6, 30)),
        ("2023年第三季度", date(2023, 9, 30)),
        ("2023年6月中旬前", date(2023, 6, 20)),
        ("到2025年，建成", date(2025, 12, 31)),
        ("力争“十四五”末", date(2025, 12, 31)),
        ("“十四五”期间", date(2025, 12, 31)),
        ("十三五时期", date(2020, 12, 31)),
        ("“十五五”期间", date(2030, 12, 31)),
        ("年内完成", date(2023, 12, 31)),  # reference year 2023
        ("年底前完成", date(2023, 12, 31)),
    ],
)
def test_deadline_shapes(text, due):
    assert latest_deadline(find_mentions(text, ref_year=2023)) == due


@pytest.mark.parametrize(
    "text",
    [
        "比2020年增长10%",
        "2021年以来取得成效",
        "根据《某省就业促进规划（2021—2025年）》要求",
        "年内完成",  # no reference year known
        "2021年的基础上",
        "三五成群",
    ],
)
def test_not_deadlines(text):
    assert latest_deadline(find_mentions(text, ref_year=None)) is None


def test_start_marker_is_not_a_deadline_but_dates_a_phase():
    (mention,) = find_mentions("从2022年1月份开始，开展调查")
    assert mention.kind == "start"
    assert mention.due == date(2022, 12, 31)


def test_milestones_need_two_dates():
    text = "2022年底前完成调查。2023年6月底前建立台账。同时开展评估。2025年全面完成。"
    phases = milestones(text, find_mentions(text))
    assert [d for d, _ in phases] == [date(2022, 12, 31), date(2023, 6, 30), date(2025, 12, 31)]
    assert phases[1][1] == "2023年6月底前建立台账。同时开展评估。"
    single = "2022年底前完成调查。同时开展评估。"
    assert milestones(single, find_mentions(single)) == []


@pytest.mark.parametrize(
    ("printed", "value", "is_print"),
    [
        ("2021年12月15日", date(2021, 12, 15), False),
        ("二〇二二年三月一日", date(2022, 3, 1), False),
        ("二○二一年十二月三十一日", date(2021, 12, 31), False),
        ("2021年8月31日印发", date(2021, 8, 31), True),
        ("2021年  月  日", None, False),
        ("2021年2月30日", None, False),
    ],
)
def test_date_lines(printed, value, is_print):
    parsed = parse_date_line(printed)
    assert (parsed.value, parsed.is_print_date) == (value, is_print)


def test_chinese_numbers():
    assert [cn_int(x) for x in ("十", "十二", "二十一", "三十", "12", "二〇二二", "")] == [
        10, 12, 21, 30, 12, 2022, None,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("培育打造自治区级劳务品牌30个", [(30, "个")]),
        ("使50%以上的旗县实现目标", [(50, "%")]),
        ("新增城镇就业1.2万人", [(1.2, "万人")]),
        ("完成投资100亿元", [(100, "亿元")]),
        ("培训农民工5000人次，认定高技能人才200名", [(5000, "人次"), (200, "名")]),
        ("覆盖率提高3个百分点", [(3, "个百分点")]),
        ("开展“春风行动”等专项活动２场", [(2, "场")]),  # full-width digits are normalised first
    ],
)
def test_targets(text, expected):
    from duban_planparse.text_lines import normalize

    assert [(t.value, t.unit) for t in find_targets(normalize(text))] == expected


@pytest.mark.parametrize(
    "text",
    [
        "按50%给予补贴",
        "住房城乡建设、农牧、财政等20个部门分工负责",
        "人力资源社会保障部 国家发展改革委等20部门关于劳务品牌建设的指导意见",
        "每6个月开展一次评估",
        "2025年底前完成",
        "第3批名单",
    ],
)
def test_not_targets(text):
    assert find_targets(text) == []


def test_contradiction_needs_same_subject_unit_and_due():
    end = date(2025, 12, 31)
    targets = [
        Target("力争培育打造国家级劳务品牌15个", 15, "个", end),
        Target("新增国家级劳务品牌5个", 5, "个", end),
        Target("培育打造自治区级劳务品牌30个", 30, "个", end),
        Target("培育打造自治区级劳务品牌30个", 30, "个", end),
        Target("使20%以上的农牧业旗县市拥有劳务品牌", 20, "%", date(2023, 12, 31)),
        Target("使50%以上的农牧业旗县市拥有劳务品牌", 50, "%", end),  # other date: a later phase
    ]
    (warning,) = contradictions(targets)
    assert warning.startswith("目标前后不一致：国家级劳务品牌")
    assert "15个" in warning and "5个" in warning
