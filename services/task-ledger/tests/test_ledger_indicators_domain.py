"""The indicator rules (domain/indicators.py) on target sentences written for these tests."""

from __future__ import annotations

from datetime import date

import pytest

from duban_contracts.vocabulary import Light
from task_ledger.domain import indicators as ind
from task_ledger.domain.indicators import Aggregation, Checkpoint, Indicator, Kind

pytestmark = pytest.mark.unit

START, DUE = date(2024, 1, 1), date(2025, 12, 31)


@pytest.mark.parametrize(
    ("text", "value", "unit", "name", "target", "norm_unit", "qualifier", "kind", "how"),
    [
        (
            "培育打造自治区级劳务品牌30个",
            30,
            "个",
            "自治区级劳务品牌",
            30,
            "个",
            None,
            Kind.CUMULATIVE,
            "sum",
        ),
        (
            "力争培育打造国家级劳务品牌15个",
            15,
            "个",
            "国家级劳务品牌",
            15,
            "个",
            "力争",
            Kind.CUMULATIVE,
            "sum",
        ),
        ("新增国家级劳务品牌5个", 5, "个", "国家级劳务品牌", 5, "个", None, Kind.NEW, "sum"),
        (
            "50%以上的旗县都能实现一县一品牌",
            50,
            "%",
            "旗县一县一品牌",
            50,
            "%",
            "以上",
            Kind.CUMULATIVE,
            "mean",
        ),
        (
            "城镇登记失业率控制在5.5%左右",
            5.5,
            "%",
            "城镇登记失业率控制在",
            5.5,
            "%",
            "左右",
            Kind.CUMULATIVE,
            "mean",
        ),
        (
            "安排就业补助资金1.2亿元",
            1.2,
            "亿元",
            "安排就业补助资金",
            12000,
            "万元",
            None,
            Kind.CUMULATIVE,
            "sum",
        ),
        (
            "投入资金不少于800万元",
            800,
            "万元",
            "投入资金",
            800,
            "万元",
            "不少于",
            Kind.CUMULATIVE,
            "sum",
        ),
        (
            "累计培训农牧民3万人次",
            3,
            "万人次",
            "培训农牧民",
            3,
            "万人次",
            None,
            Kind.CUMULATIVE,
            "sum",
        ),
    ],
)
def test_a_target_sentence_reads_as_an_indicator(
    text, value, unit, name, target, norm_unit, qualifier, kind, how
) -> None:
    reading = ind.read_target(text, value, unit, DUE)
    assert reading.name == name
    assert reading.target == target
    assert reading.unit == norm_unit
    assert reading.qualifier == qualifier
    assert reading.kind is kind
    assert reading.aggregation == Aggregation(how)
    assert reading.source_text == text


def test_money_is_kept_in_wan_yuan() -> None:
    assert ind.normalise_quantity(2.5, "亿元") == (25000, "万元")
    assert ind.normalise_quantity(300, "万元") == (300, "万元")
    assert ind.normalise_quantity(50000, "元") == (5, "万元")
    assert ind.normalise_quantity(40, "％") == (40, "%")


def test_the_straight_line_path_and_the_reason_for_a_count_behind_it() -> None:
    brands = Indicator("自治区级劳务品牌", 30, "个", DUE, start=START)
    mid = date(2024, 12, 31)  # 365 of 730 days
    assert ind.expected(brands, mid) == pytest.approx(15, abs=0.1)
    assert ind.assess(brands, 14, mid).light is Light.GREEN
    yellow = ind.assess(brands, 11, mid)  # 4/30 behind: > 10 %, < 25 %
    assert yellow.light is Light.YELLOW
    assert yellow.reason == "自治区级劳务品牌 11/30，按进度应达 15"
    red = ind.assess(brands, 6, mid)
    assert red.light is Light.RED
    assert red.reason == "自治区级劳务品牌 6/30，按进度应达 15"


def test_the_issue_example_8_of_30_when_18_are_due() -> None:
    brands = Indicator("自治区级劳务品牌", 30, "个", date(2025, 12, 31), start=date(2023, 1, 1))
    today = date(2024, 10, 18)  # 18/30 of the way (656 of 1095 days)
    verdict = ind.assess(brands, 8, today)
    assert verdict.light is Light.RED
    assert verdict.reason == "自治区级劳务品牌 8/30，按进度应达 18"


def test_milestone_checkpoints_bend_the_path() -> None:
    share = Indicator(
        "农牧业旗县市拥有劳务品牌",
        50,
        "%",
        DUE,
        start=START,
        checkpoints=(Checkpoint(date(2024, 12, 31), 20),),
        aggregation=Aggregation.MEAN,
    )
    assert ind.expected(share, date(2024, 12, 31)) == pytest.approx(20)
    assert ind.expected(share, date(2025, 7, 1)) == pytest.approx(35, abs=0.3)
    # 20 % on the checkpoint date is on track though the straight line would ask 25 %.
    assert ind.assess(share, 20, date(2024, 12, 31)).light is Light.GREEN


def test_new_counts_from_zero_and_cumulative_from_its_baseline() -> None:
    new = Indicator("国家级劳务品牌", 5, "个", DUE, start=START, baseline=10, kind=Kind.NEW)
    total = Indicator("国家级劳务品牌", 15, "个", DUE, start=START, baseline=10)
    mid = date(2024, 12, 31)
    assert ind.expected(new, mid) == pytest.approx(2.5, abs=0.01)
    assert ind.expected(total, mid) == pytest.approx(12.5, abs=0.01)
    assert ind.completion(new, 2) == pytest.approx(0.4)
    assert ind.completion(total, 12) == pytest.approx(0.4)
    assert ind.assess(total, 10, mid).light is Light.RED  # nothing added in a year


def test_qualifiers_about_and_stretch() -> None:
    about = Indicator("覆盖率", 100, "%", DUE, start=START, qualifier="左右")
    after = date(2026, 1, 5)
    assert ind.assess(about, 96, after).light is Light.GREEN
    missed = ind.assess(about, 90, after)
    assert missed.light is Light.RED
    assert missed.reason == "覆盖率 90/100，已过时间节点未达标"
    stretch = Indicator("国家级劳务品牌", 15, "个", DUE, start=START, qualifier="力争")
    assert ind.assess(stretch, 0, date(2025, 6, 30)).light is Light.YELLOW
    assert ind.assess(stretch, 0, after).light is Light.RED


def test_money_target_in_wan_yuan_behind() -> None:
    funds = Indicator("就业补助资金", 12000, "万元", DUE, start=START)
    verdict = ind.assess(funds, 2500, date(2024, 12, 31))
    assert verdict.light is Light.RED
    assert verdict.reason == "就业补助资金 2500/12000，按进度应达 6000"


def test_unreported_counts_as_nothing() -> None:
    brands = Indicator("自治区级劳务品牌", 30, "个", DUE, start=START)
    verdict = ind.assess(brands, None, date(2025, 1, 1))
    assert verdict.light is Light.RED
    assert verdict.reason is not None and verdict.reason.startswith("自治区级劳务品牌 未填报/30")
    assert ind.assess(brands, None, START).light is Light.GREEN


def test_decomposed_indicators_sum_or_average() -> None:
    assert ind.aggregate([4, 5, None, 3], Aggregation.SUM) == 12
    assert ind.aggregate([20, 40, None], Aggregation.MEAN) == 30
    assert ind.aggregate([None, None], Aggregation.SUM) is None


def test_the_worse_light_wins() -> None:
    assert ind.worse(Light.GREEN, Light.YELLOW) is Light.YELLOW
    assert ind.worse(Light.RED, Light.YELLOW) is Light.RED
    assert ind.worse(Light.GREEN, Light.GREEN) is Light.GREEN
