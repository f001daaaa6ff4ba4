"""Which plan each plan implements: one superior per plan, many subordinates per plan.

Evidence, strongest first: the superior's 文号 cited in a 根据/按照/贯彻落实 clause, its title
cited there, its 文号 or title among the annexes the document carries. A superior must sit higher
in the chain (国家 above 省 above 市 above 县) when both jurisdictions are known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import jurisdiction as juris
from .citations import Citation
from .normalize import normalize_doc_number
from .plans import Plan

SCORES = {("cited", "doc_number"): 1.0, ("cited", "title"): 0.9, ("annex", "doc_number"): 0.8,
          ("annex", "title"): 0.7}  # fmt: skip
# Neither jurisdiction known: the link may well be right, but nothing confirms the direction.
UNKNOWN_LEVEL_PENALTY = 0.2


@dataclass(frozen=True, slots=True)
class PlanLink:
    """``child`` implements ``parent_key``; ``parent`` is the loaded plan when there is one."""

    child: Plan
    parent_key: str
    parent: Plan | None
    score: float
    reason: str
    citation: Citation


def superior_candidates(child: Plan, plans: Sequence[Plan]) -> list[PlanLink]:
    """Every loaded plan ``child`` may implement, best first (the import preview offers these)."""
    found: list[PlanLink] = []
    for parent in plans:
        if parent.key == child.key:
            continue
        best: tuple[float, str, Citation] | None = None
        for citation in child.citations:
            evidence = _evidence(citation, parent)
            if evidence and (best is None or evidence[0] > best[0]):
                best = (*evidence, citation)
        if best is None:
            continue
        score, how, citation = best
        direction = _direction(child, parent)
        if direction is None:
            continue
        score = max(0.0, score - direction[0])
        reason = f"{how}{direction[1]}"
        found.append(PlanLink(child, parent.key, parent, round(score, 3), reason, citation))
    return sorted(found, key=lambda link: (-link.score, link.parent_key))


def cited_superior(child: Plan, loaded: Sequence[Plan] = ()) -> PlanLink | None:
    """The plan ``child`` names as its basis when that plan is not loaded: the strongest citation
    with a 文号 not from a lower or equal jurisdiction (a law or a speech cited by title alone
    is not a plan). Citations of ``loaded`` plans are left to ``superior_candidates``."""
    for citation in sorted(
        child.citations, key=lambda c: (c.kind != "cited", c.doc_number is None)
    ):
        if not citation.doc_number or any(_evidence(citation, p) for p in loaded):
            continue
        place = juris.from_doc_number(citation.doc_number)
        rank = juris.rank(place)
        score = SCORES[(citation.kind, "doc_number")] * 0.9
        if rank is not None and child.rank is not None:
            if rank >= child.rank:
                continue
            note = f"；{place}高于{child.jurisdiction}"
        else:
            score -= UNKNOWN_LEVEL_PENALTY
            note = "；辖区层级不明"
        reason = f"{citation.describe()}，该方案未导入{note}"
        return PlanLink(child, citation.doc_number, None, round(score, 3), reason, citation)
    return None


def link_plans(plans: Sequence[Plan]) -> list[PlanLink]:
    """One superior per plan (the best-supported), without cycles; plans that cite no loaded
    plan get their cited superior (``parent is None``) when they name one."""
    candidates = [c for plan in plans for c in superior_candidates(plan, plans)[:1]]
    chosen: dict[str, PlanLink] = {}
    for link in sorted(candidates, key=lambda c: (-c.score, c.child.key)):
        if not _reaches(chosen, link.parent_key, link.child.key):
            chosen[link.child.key] = link
    links = []
    for plan in plans:
        found = chosen.get(plan.key) or cited_superior(plan, plans)
        if found is not None:
            links.append(found)
    return links


def _evidence(citation: Citation, parent: Plan) -> tuple[float, str] | None:
    verb = "引用" if citation.kind == "cited" else "附件收录"
    # A plan rebuilt from stored rows may carry its 文号 as printed (〔2021〕05号).
    if citation.doc_number and citation.doc_number == normalize_doc_number(parent.doc_number):
        return SCORES[(citation.kind, "doc_number")], f"{verb}其文号 {citation.doc_number}"
    if citation.keys & parent.title_keys:
        return SCORES[(citation.kind, "title")], f"{verb}其标题《{citation.title}》"
    return None


def _direction(child: Plan, parent: Plan) -> tuple[float, str] | None:
    """(penalty, note), or None when the parent cannot be superior."""
    high, low = parent.rank, child.rank
    if high is not None and low is not None:
        if high >= low:
            return None
        return 0.0, f"；{parent.jurisdiction}高于{child.jurisdiction}"
    return UNKNOWN_LEVEL_PENALTY, "；辖区层级不明"


def _reaches(chosen: dict[str, PlanLink], start: str, target: str) -> bool:
    """Would linking to ``start`` close a cycle back to ``target``?"""
    seen = set()
    key: str | None = start
    while key is not None and key not in seen:
        if key == target:
            return True
        seen.add(key)
        link = chosen.get(key)
        key = link.parent_key if link else None
    return False
