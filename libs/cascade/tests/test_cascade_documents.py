"""From parsed documents to plans: each document's own text, fallbacks without text, labels."""

from __future__ import annotations

import cascade_plans as cp
import pytest

from duban_cascade import Evaluation, evaluate, plan_from_document, plans_from_result
from duban_cascade.segment import split_text
from duban_planparse import parse_text

pytestmark = pytest.mark.unit

TWO_DOCUMENTS = cp.NANCHANG_TEXT + "\n\n" + cp.PROVINCE_TEXT


def test_each_document_of_a_file_gets_its_own_text() -> None:
    result = parse_text(TWO_DOCUMENTS)
    assert [d.doc_number for d in result.documents] == [cp.NANCHANG, cp.PROVINCE]
    first, second = split_text(TWO_DOCUMENTS, result.documents)
    assert first + second == TWO_DOCUMENTS
    assert second.startswith(cp.PROVINCE)
    nanchang, province = plans_from_result(result, TWO_DOCUMENTS)
    assert [c.doc_number for c in nanchang.citations] == [cp.PROVINCE]
    assert province.citations == ()


def test_a_document_whose_start_is_not_found_gets_no_text() -> None:
    result = parse_text(TWO_DOCUMENTS)
    first, second = split_text(cp.NANCHANG_TEXT, result.documents)
    assert (first, second) == (cp.NANCHANG_TEXT, "")


def test_without_text_the_parsers_cited_numbers_are_used() -> None:
    (document,) = parse_text(cp.NANCHANG_TEXT).documents
    plan = plan_from_document(document)
    assert [(c.kind, c.doc_number) for c in plan.citations] == [("cited", cp.PROVINCE)]


def test_repeated_labels_are_qualified_by_their_path() -> None:
    text = (
        "某市方案\n\n一、任务\n\n（一）甲。开展调查。（市商务局负责）\n\n"
        "二、保障\n\n（一）乙。加强领导。（市商务局负责）\n\n（二）丙。加强宣传。（市商务局负责）\n"
    )
    (plan,) = plans_from_result(parse_text(text), text)
    assert [(m.key, m.label) for m in plan.measures] == [
        ("一/（一）", "一（一）"),
        ("二/（一）", "二（一）"),
        ("二/（二）", "（二）"),
    ]


def test_precision_counts_acceptable_links_and_recall_only_required_ones() -> None:
    result = evaluate(
        proposed={("a", "1"), ("b", "2"), ("c", "3")},
        required={("a", "1"), ("d", "4")},
        acceptable={("b", "2")},
    )
    assert result == Evaluation(proposed=3, correct=2, required=2, found=1)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == 0.5
    assert result.f1 == pytest.approx(4 / 7)
    assert evaluate(set(), set()).f1 == 1.0


def test_plans_from_uploaded_bytes_and_stored_plans_without_aliases() -> None:
    from duban_cascade import Plan, link_plans, plans_from_bytes

    (nanchang,) = plans_from_bytes(cp.NANCHANG_TEXT.encode("gb18030"), "南昌.txt")
    # A plan rebuilt from stored rows knows only its title: the title still matches citations.
    stored = Plan(cp.PROVINCE, "江西省家政服务提质扩容行动方案", None, "江西省", ())
    jiujiang_text = cp.JIUJIANG_TEXT
    (jiujiang,) = plans_from_result(parse_text(jiujiang_text), jiujiang_text)
    links = link_plans([stored, nanchang, jiujiang])
    assert [(link.child.key, link.parent_key) for link in links] == [
        (cp.NANCHANG, cp.PROVINCE),
        (cp.JIUJIANG, cp.PROVINCE),
    ]


def test_measure_keys_are_unique_even_when_a_heading_repeats() -> None:
    from duban_cascade.plans import measure_keys
    from duban_planparse import ParsedMeasure

    measures = tuple(
        ParsedMeasure(label=label, path=path, title="甲", text="甲。")
        for label, path in (("1.", ("一", "1.")), ("1.", ("一", "1.")), ("2.", ("一", "2.")))
    )
    assert measure_keys(measures) == ["一/1.#0", "一/1.#1", "一/2."]
