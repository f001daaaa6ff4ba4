"""Properties on arbitrary input: no crash, scores in [0, 1], the same output every time."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban_cascade import (
    Plan,
    PlanMeasure,
    build_cascade,
    find_citations,
    link_measures,
    normalize_doc_number,
    plans_from_result,
)
from duban_planparse import PlanParseError, parse_text

pytestmark = pytest.mark.unit

# Characters plans are made of, so that generated text hits headings, citations and numbers.
PLAN_CHARS = list(
    "家政服务培训技能提升补贴社区信用企业品牌劳务就业创业根据按照贯彻落实印发关于通知方案意见"
    "《》〈〉“”（）()〔〕[]【】号年第一二三四五六七八九十、。，；：\n 0123456789０１２附件省市县部厅局"
)
plan_text = st.one_of(
    st.text(alphabet=st.sampled_from(PLAN_CHARS), max_size=400),
    st.text(max_size=200),
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _measure(index: int, title: str, text: str, functions: list[str]) -> PlanMeasure:
    return PlanMeasure(
        key=f"m{index}", label=f"（{index}）", title=title, text=text, functions=tuple(functions)
    )


measures = st.lists(
    st.tuples(plan_text, plan_text, st.lists(st.sampled_from(["人社", "商务", "财政"]))),
    max_size=8,
).map(lambda items: tuple(_measure(i, *item) for i, item in enumerate(items)))


def _plan(key: str, items: tuple[PlanMeasure, ...]) -> Plan:
    return Plan(key=key, title=key, doc_number=None, jurisdiction=None, measures=items)


@SETTINGS
@given(parent=measures, child=measures)
def test_measure_links_are_scored_in_range_and_deterministic(
    parent: tuple[PlanMeasure, ...], child: tuple[PlanMeasure, ...]
) -> None:
    first = link_measures(_plan("上级", parent), _plan("下级", child))
    again = link_measures(_plan("上级", parent), _plan("下级", child))
    assert first == again
    for link in first.links:
        assert 0.0 <= link.score <= 1.0
        assert link.parent in parent and link.child in child
        assert link.reason
    covered = {link.parent.key for link in first.links}
    assert {m.key for m in first.uncovered} == {m.key for m in parent} - covered
    linked = {link.child.key for link in first.links}
    assert {m.key for m in first.local} == {m.key for m in child} - linked


@SETTINGS
@given(texts=st.lists(plan_text, min_size=1, max_size=3))
def test_any_documents_cascade_without_crashing_and_deterministically(texts: list[str]) -> None:
    plans = []
    for text in texts:
        try:
            plans += plans_from_result(parse_text(text), text)
        except PlanParseError:
            continue  # empty or unreadable input is the parser's to reject, in Chinese
    first = build_cascade(plans).to_dict()
    assert json.dumps(first, ensure_ascii=False) == json.dumps(
        build_cascade(plans).to_dict(), ensure_ascii=False
    )
    for link in first["links"]:
        assert 0.0 <= link["score"] <= 1.0
    for p in first["plans"]:
        assert p["parent_doc_number"] != p["doc_number"]


@SETTINGS
@given(text=plan_text)
def test_citations_and_numbers_never_crash_and_normalising_is_idempotent(text: str) -> None:
    for citation in find_citations(text):
        assert citation.title or citation.doc_number
        if citation.doc_number:
            assert normalize_doc_number(citation.doc_number) == citation.doc_number
    number = normalize_doc_number(text)
    if number is not None:
        assert normalize_doc_number(number) == number
