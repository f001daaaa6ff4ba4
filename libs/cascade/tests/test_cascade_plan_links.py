"""Plan-link rules: evidence strength, direction by jurisdiction, one superior, no cycles,
superiors cited but not loaded."""

from __future__ import annotations

import pytest

from duban_cascade import Citation, Plan, build_cascade, link_plans, superior_candidates
from duban_cascade.jurisdiction import from_doc_number, from_names, rank

pytestmark = pytest.mark.unit


def plan(
    key: str,
    jurisdiction: str | None,
    *citations: Citation,
    title: str | None = None,
    number: bool = True,
) -> Plan:
    name = title or f"{key}方案"
    return Plan(
        key=key,
        title=name,
        doc_number=key if number else None,
        jurisdiction=jurisdiction,
        measures=(),
        citations=citations,
    )


def cites(number: str | None = None, title: str | None = None, kind: str = "cited") -> Citation:
    return Citation(kind, title, number)  # type: ignore[arg-type]


def test_a_cited_number_beats_a_cited_title_beats_an_annex() -> None:
    national = plan("国发〔2021〕1号", "国家")
    other = plan("国发〔2021〕2号", "国家", title="关于促进就业的意见")
    province = plan(
        "粤府〔2022〕3号",
        "广东省",
        cites(title="关于促进就业的意见"),
        cites("国发〔2021〕1号", kind="annex"),
        cites("国发〔2021〕1号"),
    )
    ranked = superior_candidates(province, [national, other, province])
    assert [(c.parent_key, c.score) for c in ranked] == [
        ("国发〔2021〕1号", 1.0),
        ("国发〔2021〕2号", 0.9),
    ]
    (link,) = link_plans([national, other, province])
    assert link.parent_key == "国发〔2021〕1号"


def test_an_annex_alone_links_with_a_lower_score() -> None:
    national = plan("国发〔2021〕1号", "国家")
    province = plan("粤府〔2022〕3号", "广东省", cites("国发〔2021〕1号", kind="annex"))
    (link,) = link_plans([national, province])
    assert (link.parent_key, link.score) == ("国发〔2021〕1号", 0.8)
    assert link.reason == "附件收录其文号 国发〔2021〕1号；国家高于广东省"


def test_a_plan_at_the_same_or_a_lower_level_is_never_superior() -> None:
    guangdong = plan("粤府〔2022〕3号", "广东省")
    jiangxi = plan("赣府〔2022〕4号", "江西省", cites("粤府〔2022〕3号"))
    city = plan("穗府〔2022〕5号", "广州市")
    province = plan("粤府〔2022〕6号", "广东省", cites("穗府〔2022〕5号"))
    assert link_plans([guangdong, jiangxi, city, province]) == []


def test_unknown_levels_link_with_a_penalty_and_never_in_a_cycle() -> None:
    a = plan("甲〔2022〕1号", None, cites("乙〔2022〕2号"))
    b = plan("乙〔2022〕2号", None, cites("甲〔2022〕1号"))
    links = link_plans([a, b])
    assert len(links) == 1
    assert links[0].score == pytest.approx(0.8)
    assert "辖区层级不明" in links[0].reason


def test_a_cited_superior_that_is_not_loaded_is_still_named() -> None:
    city = plan(
        "穗人社〔2022〕5号", "广州市", cites("粤人社发〔2022〕3号"), cites(title="就业促进法")
    )
    (link,) = link_plans([city])
    assert link.parent is None
    assert link.parent_key == "粤人社发〔2022〕3号"
    assert link.reason == "引用（粤人社发〔2022〕3号），该方案未导入；广东省高于广州市"
    data = build_cascade([city]).to_dict()
    assert data["plans"][0]["parent_doc_number"] == "粤人社发〔2022〕3号"
    assert data["links"] == [] and data["uncovered"] == []


def test_a_cited_number_of_the_same_jurisdiction_is_not_a_superior() -> None:
    province = plan("粤人社发〔2022〕3号", "广东省", cites("粤人社发〔2021〕9号"))
    assert link_plans([province]) == []


def test_a_cited_number_of_an_unknown_jurisdiction_is_named_with_a_penalty() -> None:
    county = plan("某县〔2022〕1号", "某某县", cites("洪人社发〔2022〕3号"))
    (link,) = link_plans([county])
    assert (link.parent_key, link.score) == ("洪人社发〔2022〕3号", 0.7)
    assert "辖区层级不明" in link.reason


def test_a_plan_without_a_number_is_found_by_its_title() -> None:
    name = "关于加强劳务品牌建设的行动方案"
    province = plan(name, "广东省", title=name, number=False)
    city = plan("穗府〔2022〕5号", "广州市", cites(title="关于加强劳务品牌建设的行动方案"))
    (link,) = link_plans([province, city])
    assert link.parent_key == "关于加强劳务品牌建设的行动方案"


def test_a_repeated_plan_is_linked_once() -> None:
    national = plan("国发〔2021〕1号", "国家")
    province = plan("粤府〔2022〕3号", "广东省", cites("国发〔2021〕1号"))
    cascade = build_cascade([national, province, province, national])
    assert [p.key for p in cascade.plans] == ["国发〔2021〕1号", "粤府〔2022〕3号"]
    assert len(cascade.plan_links) == 1


@pytest.mark.parametrize(
    ("jurisdiction", "expected"),
    [("国家", 0), ("广东省", 1), ("内蒙古自治区", 1), ("江西省", 1), ("南昌市", 2),
     ("锡林郭勒盟", 2), ("某某县", 3), ("苏尼特右旗", 3), (None, None), ("某地", None)],
)  # fmt: skip
def test_rank_of_a_jurisdiction(jurisdiction: str | None, expected: int | None) -> None:
    assert rank(jurisdiction) == expected


def test_jurisdiction_from_numbers_and_names() -> None:
    assert from_doc_number("人社部发〔2021〕66号") == "国家"
    assert from_doc_number("国办发〔2021〕1号") == "国家"
    assert from_doc_number("粤人社规〔2021〕5号") == "广东省"
    assert from_doc_number("内人社发〔2022〕3号") == "内蒙古自治区"
    assert from_doc_number("某某〔2022〕3号") is None
    assert from_names(["南昌市人力资源和社会保障局", "南昌市商务局"]) == "南昌市"
    assert from_names(["内蒙古自治区人力资源和社会保障厅"]) == "内蒙古自治区"
    assert from_names(["人力资源社会保障部", "国家发展改革委"]) == "国家"
    assert from_names(["市场监管局"]) is None


def test_a_stored_number_printed_differently_still_matches() -> None:
    stored = Plan("粤人社规〔2021〕05号", "某方案", "粤人社规［2021］05号", "广东省", ())
    city = plan("穗府〔2022〕5号", "广州市", cites("粤人社规〔2021〕5号"))
    (link,) = link_plans([stored, city])
    assert (link.parent_key, link.score) == ("粤人社规〔2021〕05号", 1.0)
