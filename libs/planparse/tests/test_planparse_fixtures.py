"""Hand-made fixture files: a GBK city task split and a Markdown provincial plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from duban_planparse import parse_file

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures"
END_2023 = date(2023, 12, 31)


@pytest.fixture(scope="module")
def city():
    result = parse_file(FIXTURES / "city_tasks_gbk.txt")
    assert (result.format, result.encoding) == ("text", "gb18030")
    (document,) = result.documents
    return document


def test_city_header(city):
    assert city.title == "某市人民政府办公室关于印发某市2023年重点工作任务分工方案的通知"
    assert city.doc_number == "某府办〔2023〕11号"
    assert city.issuers == ("某市人民政府办公室",)
    assert city.issued_on == date(2023, 2, 20)
    assert city.jurisdiction == "某市"
    assert city.due == END_2023  # the year of the task split


# label, lead, supporting, leaders, due, targets
CITY = [
    ("1.", "市发展改革委", "市统计局、市财政局", "", END_2023, [(6, "%")]),
    ("2.", "市发展改革委", "各区人民政府", "", END_2023, [(500, "亿元")]),
    (
        "3.",
        "市人力资源社会保障局",
        "市教育局、市财政局、各区人民政府",
        "",
        END_2023,
        [(3, "万人"), (5.5, "%")],
    ),
    ("4.", "市人力资源社会保障局", "市财政局", "王副市长", END_2023, [(2, "万人次")]),
    ("5.", "市民政局", "各区、市有关部门", "", END_2023, [(30, "家")]),
    ("6.", "市住房城乡建设局", "", "", END_2023, [(50, "个"), (30, "个")]),
    ("7.", "市城市管理和综合执法局", "", "", END_2023, []),
    ("8.", "各部门", "", "", END_2023, []),
]


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split("、")) if text else ()


@pytest.mark.parametrize("row", CITY, ids=[r[0] for r in CITY])
def test_city_measures(city, row):
    label, lead, supporting, leaders, due, targets = row
    (measure,) = [m for m in city.measures if m.label == label]
    assert measure.lead == _names(lead)
    assert measure.supporting == _names(supporting)
    assert measure.leaders == _names(leaders)
    assert measure.due == due
    assert [(t.value, t.unit) for t in measure.targets] == targets


def test_city_phases_and_collectives(city):
    six = next(m for m in city.measures if m.label == "6.")
    assert [m.due for m in six.milestones] == [date(2023, 6, 30), END_2023]
    five = next(m for m in city.measures if m.label == "5.")
    assert five.collective == ("各区", "市有关部门")
    assert next(m for m in city.measures if m.label == "3.").path == ("二", "（一）", "3.")
    # The city is not in the registry: every department is reported once, none merged.
    unknown = [w for w in city.warnings if w.startswith("未识别的部门")]
    assert len(unknown) == len(set(unknown)) == 8


def test_markdown_plan():
    result = parse_file(FIXTURES / "province_plan.md")
    assert result.format == "markdown"
    (doc,) = result.documents
    assert doc.title == "某省家政服务劳务品牌三年行动方案（2023—2025年）"
    assert doc.due == date(2025, 12, 31)
    assert "未找到成文日期" in doc.warnings
    rows = [(m.path, m.title, m.lead, m.supporting, m.due) for m in doc.measures]
    assert rows == [
        (("一",), "工作目标", (), (), date(2025, 12, 31)),
        (
            ("二", "（一）"),
            "开展技能培训",
            ("省人力资源社会保障厅",),
            ("省商务厅", "省妇联"),
            date(2025, 12, 31),
        ),
        (
            ("二", "（二）"),
            "培育龙头企业",
            ("省商务厅",),
            ("省发展改革委", "省市场监管局"),
            date(2025, 12, 31),
        ),
        (
            ("二", "（三）"),
            "完善信用体系",
            ("省商务厅",),
            ("省市场监管局", "人民银行广州分行"),
            date(2024, 12, 31),
        ),
        (
            ("三", "1."),
            "落实社保补贴政策",
            ("省人力资源社会保障厅",),
            ("省财政厅",),
            date(2023, 9, 30),
        ),
        (
            ("三", "2."),
            "开展宣传推介活动",
            ("省委宣传部",),
            ("省广播电视局", "各地级以上市人民政府"),
            date(2025, 12, 31),
        ),
    ]
    goal = doc.measures[0]
    assert [(t.value, t.unit) for t in goal.targets] == [(20, "个"), (10, "万人")]
    credit = doc.measures[3]
    assert [m.due for m in credit.milestones] == [date(2023, 12, 31), date(2024, 12, 31)]
