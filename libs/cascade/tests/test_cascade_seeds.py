"""The seeds: Inner Mongolia's and Guangdong's plans implement the national guidance
人社部发〔2021〕66号, and their measure links match the hand-checked gold set."""

from __future__ import annotations

from pathlib import Path

import cascade_gold as gold
import pytest

from duban_cascade import Cascade, Plan, build_cascade, evaluate, link_measures, read_plans

pytestmark = pytest.mark.unit

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
GUANGDONG_FILE = SEEDS / "000_9108b65ab0af5f8f.txt"
INNER_MONGOLIA_FILE = SEEDS / "003_719c3a43df115ca9.txt"

# Figures measured with the default method (README): precision 1.000 on both plans, recall
# 1.000 (Inner Mongolia) and 0.941 (Guangdong, 16 of 17). The tests allow a small margin.
MIN_PRECISION = 0.95
MIN_RECALL = {gold.INNER_MONGOLIA: 0.95, gold.GUANGDONG: 0.9}
# The one required link the method misses: Guangdong 压实工作责任 restates the second half of
# 加强组织领导 (细化工作方案) in different words (score 0.11, under the 0.15 threshold).
KNOWN_MISSES = {(gold.GUANGDONG, ("三/（二）", "五/（十二）"))}


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {p.key: p for f in (GUANGDONG_FILE, INNER_MONGOLIA_FILE) for p in read_plans(f)}


@pytest.fixture(scope="module")
def cascade(plans: dict[str, Plan]) -> Cascade:
    return build_cascade(list(plans.values()))


def test_the_guangdong_file_holds_its_plan_and_the_national_guidance() -> None:
    guangdong, national = read_plans(GUANGDONG_FILE)
    assert guangdong.doc_number is None
    assert guangdong.key == guangdong.title == "关于加强劳务品牌建设的行动方案"
    assert guangdong.jurisdiction == "广东省"
    assert national.doc_number == gold.NATIONAL
    assert national.jurisdiction == "国家"
    # The notice's citation of the guidance belongs to the Guangdong plan, not to the guidance.
    assert national.citations == ()
    assert {c.kind for c in guangdong.citations} == {"cited", "annex"}
    assert all(c.doc_number == gold.NATIONAL for c in guangdong.citations)


def test_inner_mongolia_is_an_autonomous_region_plan_citing_the_guidance() -> None:
    (plan,) = read_plans(INNER_MONGOLIA_FILE)
    assert plan.key == gold.INNER_MONGOLIA
    assert plan.title == "内蒙古自治区劳务品牌建设实施方案"
    assert plan.jurisdiction == "内蒙古自治区"
    assert [c.doc_number for c in plan.citations] == [gold.NATIONAL]


def test_both_provincial_plans_link_to_the_national_guidance(cascade: Cascade) -> None:
    parents = {p["doc_number"]: p["parent_doc_number"] for p in cascade.to_dict()["plans"]}
    assert parents == {
        gold.GUANGDONG: gold.NATIONAL,
        gold.INNER_MONGOLIA: gold.NATIONAL,
        gold.NATIONAL: None,
    }
    for link in cascade.plan_links:
        assert link.score == 1.0
        assert link.reason == f"引用其文号 {gold.NATIONAL}；国家高于{link.child.jurisdiction}"


@pytest.mark.parametrize(
    ("child", "required", "acceptable"),
    [
        (gold.INNER_MONGOLIA, gold.INNER_MONGOLIA_REQUIRED, gold.INNER_MONGOLIA_ACCEPTABLE),
        (gold.GUANGDONG, gold.GUANGDONG_REQUIRED, gold.GUANGDONG_ACCEPTABLE),
    ],
)
def test_measure_links_match_the_gold_set(
    plans: dict[str, Plan],
    child: str,
    required: set[tuple[str, str]],
    acceptable: set[tuple[str, str]],
) -> None:
    matching = link_measures(plans[gold.NATIONAL], plans[child])
    proposed = {(link.child.key, link.parent.key) for link in matching.links}
    for pair in sorted(required):  # each hand-checked link pinned, bar the known miss
        if (child, pair) not in KNOWN_MISSES:
            assert pair in proposed, pair
    result = evaluate(proposed, required, acceptable)
    assert result.precision >= MIN_PRECISION, result
    assert result.recall >= MIN_RECALL[child], result


def test_no_national_measure_is_left_uncovered_by_the_two_provinces(cascade: Cascade) -> None:
    assert cascade.to_dict()["uncovered"] == []


def test_inner_mongolias_timetable_is_a_local_addition(plans: dict[str, Plan]) -> None:
    matching = link_measures(plans[gold.NATIONAL], plans[gold.INNER_MONGOLIA])
    assert [m.title for m in matching.local] == ["实施劳务品牌培树行动"]


def test_a_renamed_measure_is_linked_with_a_reason_in_chinese(plans: dict[str, Plan]) -> None:
    matching = link_measures(plans[gold.NATIONAL], plans[gold.GUANGDONG])
    (link,) = [m for m in matching.links if m.child.title == "强化能力培养，推进技能开发"]
    assert link.parent.title == "提高技能含量"
    assert 0.3 < link.score <= 1
    assert link.reason.startswith("正文相似度")
    assert "职业技能" in link.shared_terms
    assert set(link.shared_functions) == {"人力资源社会保障", "教育"}
    assert "共同部门职能：人力资源社会保障、教育" in link.reason
