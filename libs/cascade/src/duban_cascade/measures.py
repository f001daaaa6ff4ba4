"""Which superior measures each measure of a subordinate plan takes up.

Titles differ between levels (提高技能含量 → 强化能力培养，推进技能开发), so whole measure texts
are compared: TF-IDF over jieba words and character bigrams (see README for the measurements
behind the choice), plus the overlap of the departments' functions. A child measure is linked
to every superior measure that scores at least ``threshold`` and at least ``relative`` × its
best score: one measure may take up several, several may take up one, a local addition none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from . import tokens
from .plans import Plan, PlanMeasure
from .vectors import Vector, cosine, tfidf, top_shared

TextKind = Literal["bigram", "jieba", "hybrid", "title"]


@dataclass(frozen=True, slots=True)
class Method:
    """How measures are compared and which proposals are kept."""

    name: str
    text: TextKind
    department_weight: float  # share of the score given to shared department functions
    threshold: float
    relative: float  # keep superior measures scoring >= relative × the child measure's best


# Chosen on the seed gold set (libs/cascade/README.md has the figures): character bigrams of
# the whole text, no department term (every level's plan names 人社 in most measures), every
# superior measure scoring 0.15 or more.
DEFAULT_METHOD = Method("正文字二元组", "bigram", 0.0, 0.15, 0.0)


@dataclass(frozen=True, slots=True)
class PairScore:
    parent: PlanMeasure
    child: PlanMeasure
    score: float
    text_score: float
    terms: tuple[str, ...]
    functions: tuple[str, ...]
    targets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MeasureLink:
    parent: PlanMeasure
    child: PlanMeasure
    score: float  # in [0, 1]
    reason: str  # for the person confirming the link, in Chinese
    shared_terms: tuple[str, ...]
    shared_functions: tuple[str, ...]
    shared_targets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MeasureMatching:
    parent: Plan
    child: Plan
    links: tuple[MeasureLink, ...]
    uncovered: tuple[PlanMeasure, ...]  # superior measures no measure of ``child`` takes up
    local: tuple[PlanMeasure, ...]  # measures of ``child`` with no superior (local additions)


def _texts(measures: Sequence[PlanMeasure], kind: TextKind) -> list[list[str]]:
    if kind == "title":
        return [list(tokens.words(m.title)) for m in measures]
    if kind == "jieba":
        return [list(tokens.words(m.text or m.title)) for m in measures]
    return [list(tokens.bigrams(m.text or m.title)) for m in measures]


def _vectors(parent: Plan, child: Plan, kind: TextKind) -> tuple[list[Vector], list[Vector]]:
    both = [*parent.measures, *child.measures]
    vectors = tfidf(_texts(both, kind))
    return vectors[: len(parent.measures)], vectors[len(parent.measures) :]


def pair_scores(parent: Plan, child: Plan, method: Method = DEFAULT_METHOD) -> list[PairScore]:
    """Every (superior measure, child measure) pair with its score, in plan order."""
    words_p, words_c = _vectors(parent, child, "jieba")
    if method.text == "hybrid":
        grams_p, grams_c = _vectors(parent, child, "bigram")
    elif method.text != "jieba":
        grams_p, grams_c = _vectors(parent, child, method.text)
    scores = []
    for i, p in enumerate(parent.measures):
        for j, c in enumerate(child.measures):
            by_words = cosine(words_p[i], words_c[j])
            if method.text == "jieba":
                text = by_words
            elif method.text == "hybrid":
                text = (by_words + cosine(grams_p[i], grams_c[j])) / 2
            else:
                text = cosine(grams_p[i], grams_c[j])
            shared_functions = tuple(f for f in c.functions if f in p.functions)
            score = text
            if p.functions and c.functions and method.department_weight:
                overlap = len(shared_functions) / len(set(p.functions) | set(c.functions))
                score = (1 - method.department_weight) * text + method.department_weight * overlap
            scores.append(
                PairScore(
                    parent=p,
                    child=c,
                    score=round(min(1.0, max(0.0, score)), 4),
                    text_score=text,
                    terms=tuple(top_shared(words_p[i], words_c[j], 5)),
                    functions=shared_functions,
                    targets=_shared_targets(p, c),
                )
            )
    return scores


def _shared_targets(parent: PlanMeasure, child: PlanMeasure) -> tuple[str, ...]:
    """Child targets that share a word with a superior target (国家级劳务品牌 …)."""
    parent_words = {w for t in parent.targets for w in tokens.words(t)}
    return tuple(t for t in child.targets if parent_words & set(tokens.words(t)))


def select(scores: Sequence[PairScore], threshold: float, relative: float) -> list[PairScore]:
    best: dict[str, float] = {}
    for s in scores:
        best[s.child.key] = max(best.get(s.child.key, 0.0), s.score)
    return [s for s in scores if s.score >= threshold and s.score >= relative * best[s.child.key]]


def reason(s: PairScore) -> str:
    parts = [f"正文相似度 {s.text_score:.2f}"]
    if s.terms:
        parts.append(f"共同关键词：{'、'.join(s.terms)}")
    if s.functions:
        parts.append(f"共同部门职能：{'、'.join(s.functions)}")
    if s.targets:
        parts.append(f"相近目标：{'；'.join(s.targets)}")
    return "；".join(parts)


def link_measures(parent: Plan, child: Plan, method: Method = DEFAULT_METHOD) -> MeasureMatching:
    """Proposed links from ``child``'s measures to ``parent``'s, best first per child measure."""
    kept = select(pair_scores(parent, child, method), method.threshold, method.relative)
    order = {m.key: i for i, m in enumerate(child.measures)}
    kept.sort(key=lambda s: (order[s.child.key], -s.score, s.parent.key))
    links = tuple(
        MeasureLink(s.parent, s.child, s.score, reason(s), s.terms, s.functions, s.targets)
        for s in kept
    )
    covered = {link.parent.key for link in links}
    linked = {link.child.key for link in links}
    return MeasureMatching(
        parent=parent,
        child=child,
        links=links,
        uncovered=tuple(m for m in parent.measures if m.key not in covered),
        local=tuple(m for m in child.measures if m.key not in linked),
    )
