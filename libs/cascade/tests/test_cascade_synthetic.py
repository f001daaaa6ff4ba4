"""A province plan and two city plans written for the tests: renamed, merged, split and dropped
measures, a local addition, citations by 文号 (printed differently) and by title only."""

from __future__ import annotations

import cascade_plans as cp
import pytest

from duban_cascade import Cascade, Plan, build_cascade, link_measures, plans_from_result
from duban_planparse import parse_text

pytestmark = pytest.mark.unit


def _plan(text: str) -> Plan:
    (plan,) = plans_from_result(parse_text(text), text)
    return plan


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    found = [_plan(t) for t in (cp.PROVINCE_TEXT, cp.NANCHANG_TEXT, cp.JIUJIANG_TEXT)]
    return {p.key: p for p in found}


@pytest.fixture(scope="module")
def cascade(plans: dict[str, Plan]) -> Cascade:
    return build_cascade(list(plans.values()))


def test_plans_know_their_number_title_and_jurisdiction(plans: dict[str, Plan]) -> None:
    summary = {(p.key, p.doc_number, p.title, p.jurisdiction, p.rank) for p in plans.values()}
    assert summary == {
        (cp.PROVINCE, cp.PROVINCE, "江西省家政服务提质扩容行动方案", "江西省", 1),
        (cp.NANCHANG, cp.NANCHANG, "南昌市家政服务提质扩容工作方案", "南昌市", 2),
        (cp.JIUJIANG, None, cp.JIUJIANG, "九江市", 2),
    }


def test_one_superior_two_subordinates(cascade: Cascade) -> None:
    by_child = {link.child.key: link for link in cascade.plan_links}
    assert set(by_child) == {cp.NANCHANG, cp.JIUJIANG}
    # 南昌 prints the number as 赣人社发［２０２３］１２号: it still matches.
    assert by_child[cp.NANCHANG].parent_key == cp.PROVINCE
    assert by_child[cp.NANCHANG].score == 1.0
    assert by_child[cp.NANCHANG].reason == f"引用其文号 {cp.PROVINCE}；江西省高于南昌市"
    # 九江 cites the title only.
    assert by_child[cp.JIUJIANG].parent_key == cp.PROVINCE
    assert by_child[cp.JIUJIANG].score == 0.9
    assert (
        by_child[cp.JIUJIANG].reason
        == "引用其标题《江西省家政服务提质扩容行动方案》；江西省高于九江市"
    )


@pytest.mark.parametrize(
    ("child", "links", "local", "uncovered"),
    [
        (cp.NANCHANG, cp.NANCHANG_LINKS, cp.NANCHANG_LOCAL, cp.NANCHANG_UNCOVERED),
        (cp.JIUJIANG, cp.JIUJIANG_LINKS, cp.JIUJIANG_LOCAL, cp.JIUJIANG_UNCOVERED),
    ],
)
def test_renamed_merged_split_dropped_and_local_measures(
    plans: dict[str, Plan],
    child: str,
    links: set[tuple[str, str]],
    local: set[str],
    uncovered: set[str],
) -> None:
    matching = link_measures(plans[cp.PROVINCE], plans[child])
    assert {(link.child.key, link.parent.key) for link in matching.links} == links
    assert {m.key for m in matching.local} == local
    assert {m.key for m in matching.uncovered} == uncovered
    for link in matching.links:
        assert 0.15 <= link.score <= 1


def test_a_merged_measure_shows_both_superiors_best_first(plans: dict[str, Plan]) -> None:
    matching = link_measures(plans[cp.PROVINCE], plans[cp.NANCHANG])
    merged = [link for link in matching.links if link.child.title == "壮大家政市场主体"]
    assert [link.parent.title for link in merged] == ["扶持家政企业发展", "推进家政进社区"]
    assert merged[0].score >= merged[1].score


def test_shared_targets_and_departments_appear_in_the_reason(plans: dict[str, Plan]) -> None:
    matching = link_measures(plans[cp.PROVINCE], plans[cp.JIUJIANG])
    (link,) = [m for m in matching.links if m.child.title == "开展技能提升培训"]
    assert link.shared_targets == ("全年培训家政服务人员1万人次",)
    assert "相近目标：全年培训家政服务人员1万人次" in link.reason
    assert link.shared_functions == ("人力资源社会保障", "商务")


def test_only_measures_no_city_takes_up_are_uncovered_overall(cascade: Cascade) -> None:
    uncovered = cascade.to_dict()["uncovered"]
    assert uncovered == [
        {"doc_number": cp.PROVINCE, "label": "（七）", "title": "建立家政服务质量监测制度"}
    ]


def test_the_cascade_json_uses_the_title_where_there_is_no_number(cascade: Cascade) -> None:
    data = cascade.to_dict()
    jiujiang = [link for link in data["links"] if link["child_doc_number"] == cp.JIUJIANG]
    assert jiujiang and all(link["parent_doc_number"] == cp.PROVINCE for link in jiujiang)
    second = jiujiang[1]
    assert (second["child_label"], second["child_title"]) == ("（二）", "开展技能提升培训")
