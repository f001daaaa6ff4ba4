"""Issue 19: properties over generated plans in every clause shape and random text.

For any input: no crash (only PlanParseError), no department string holding a note, a bracket
or a 牵头/配合 word, each measure's lead within its departments, no leader as a department.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban_planparse import PlanParseError, parse_text

pytestmark = pytest.mark.unit

LEVELS = ["市", "区", "县", "省", "自治区"]
BODIES = ["财政局", "发展改革委", "教育局", "人社局", "住建局", "农业农村局", "卫健委", "商务厅",
          "市场监管局", "统计局", "应急管理局", "工业和信息化厅"]  # fmt: skip
GROUPS = ["各有关单位", "相关部门", "各地", "各部门", "各县（市、区）人民政府", "各乡镇（街道）",
          "区直各部门", "各专班"]  # fmt: skip
NOTES = [
    "下同",
    "以下不再逐项列出",
    "以下不再列出，下同",
    "逗号前为牵头单位",
    "列第一位的为牵头单位",
]
LEADERS = ["张某某", "分管副市长", "李副县长"]
BRACKETS = [("（", "）"), ("(", ")"), ("〔", "〕"), ("[", "]"), ("【", "】")]
FORBIDDEN = re.compile(r"下同|列出|牵头|配合|为牵头|^[（(〔\[【]|领导|[：:；;，,]")


def balanced(name: str) -> bool:
    """各县（市、区）人民政府 keeps its brackets; a clause's own bracket never stays in a name."""
    depth = 0
    for ch in name:
        depth += ch in "（(〔[【"
        depth -= ch in "）)〕]】"
        if depth < 0:
            return False
    return depth == 0


names = st.builds(
    lambda level, body: level + body, st.sampled_from(LEVELS), st.sampled_from(BODIES)
)
party = st.one_of(names, names, st.sampled_from(GROUPS))
plist = st.lists(party, min_size=1, max_size=4).map("、".join)


@st.composite
def clause(draw):
    lead, other = draw(plist), draw(plist)
    shape = draw(st.integers(0, 7))
    opener, closer = draw(st.sampled_from(BRACKETS))
    note = draw(st.sampled_from(["", *NOTES]))
    note = f"，{note}" if note else ""
    if shape == 0:
        return f"{opener}{lead}牵头，{other}配合{note}{closer}"
    if shape == 1:
        return f"{opener}{lead}等负责{note}{closer}"
    if shape == 2:
        return f"\n牵头单位：{lead}\n责任单位：{other}\n责任领导：{draw(st.sampled_from(LEADERS))}"
    if shape == 3:
        return f"{opener}牵头单位：{lead}；责任主体：{other}；配合单位：{draw(plist)}{closer}"
    if shape == 4:
        return f"部门分工：{lead}牵头，{other}配合。"
    if shape == 5:
        return f"{opener}责任单位：{lead}分别牵头，{other}配合{closer}"
    if shape == 6:
        return f"{opener}责任单位：{lead}，{other}{note}{closer}"
    return f"{opener}{lead}{closer}"


@st.composite
def plan(draw):
    place = draw(st.sampled_from(["韶关市", "铁西区", "仁化县", "山东省", "宁夏回族自治区"]))
    lines = [f"{place}2024年重点工作任务分工方案", ""]
    numbering = draw(st.sampled_from(["{n}.", "（{c}）", "{n}、", "第{c}条", "{n})", "{n}﹒"]))
    cn = "一二三四五六七八九十"
    count = 0
    for section in range(draw(st.integers(1, 3))):
        lines.append(f"{cn[section]}、第{section + 1}部分任务")
        for i in range(draw(st.integers(1, 5))):
            label = numbering.format(n=i + 1, c=cn[i])
            start = ""
            if draw(st.booleans()) and draw(st.booleans()):
                start = f"由{draw(st.sampled_from(LEADERS))}负责，{draw(plist)}牵头，相关部门配合，"
            body = draw(
                st.sampled_from(
                    ["推进重点项目建设。", "完成任务100项。", "一是加强统筹；二是强化保障。"]
                )
            )
            tail = draw(clause()) if draw(st.integers(0, 4)) else ""
            lines.append(f"{label}{start}{body}{tail}")
            count += 1
    return "\n".join(lines), count


def _check(text):
    try:
        result = parse_text(text)
    except PlanParseError:
        return
    for document in result.documents:
        for m in document.measures:
            assert set(m.lead) <= set(m.departments)
            assert set(m.supporting) <= set(m.departments)
            assert not set(m.lead) & set(m.supporting)
            assert len(m.parties) == len(m.departments)
            for name in m.departments:
                assert not FORBIDDEN.search(name), name
                assert balanced(name), name
                assert name not in LEADERS
                assert name[-1] != "等"
            for leader in m.leaders:
                assert leader not in m.departments
        for new in document.new_departments:
            assert not new.name.startswith("各")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan())
def test_generated_plans_keep_the_properties(generated):
    text, count = generated
    _check(text)
    # Never two measures merged into one, never one split in two.
    (document,) = parse_text(text).documents
    assert len(document.measures) == count


ALPHABET = "市区县省自治牵头配合负责单位责任领导下同列出第一为、，；：（）()〔〕【】[]一二三1234.是由各部门地局委厅\n "


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=400))
def test_random_clause_soup_keeps_the_properties(text):
    _check("某市方案\n\n一、任务\n\n1." + text)


def test_generated_plan_is_read_exactly():
    """One fixed plan of the generator's shapes, read measure by measure."""
    text = (
        "铁西区2024年重点工作任务分工方案\n\n一、第1部分任务\n"
        "1.推进重点项目建设。（区财政局、区教育局牵头，各地配合，下同）\n"
        "2.完成任务100项。\n"
        "3.一是加强统筹；二是强化保障。\n牵头单位：区住建局\n责任单位：各部门\n责任领导：张某某\n"
    )
    (document,) = parse_text(text).documents
    assert [(m.lead, m.supporting, m.leaders) for m in document.measures] == [
        (("区财政局", "区教育局"), ("各地",), ()),
        (("区财政局", "区教育局"), ("各地",), ()),
        (("区住建局",), ("各部门",), ("张某某",)),
    ]
