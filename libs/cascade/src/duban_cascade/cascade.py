"""A set of plans linked into a chain: plan links, measure links, uncovered superior measures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .measures import DEFAULT_METHOD, MeasureMatching, Method, link_measures
from .plan_links import PlanLink, link_plans
from .plans import Plan, PlanMeasure


@dataclass(frozen=True, slots=True)
class Cascade:
    plans: tuple[Plan, ...]
    plan_links: tuple[PlanLink, ...]  # one per plan that has a superior (loaded or only cited)
    matchings: tuple[MeasureMatching, ...]  # one per plan link whose superior is loaded

    def parent_of(self, plan: Plan) -> PlanLink | None:
        return next((link for link in self.plan_links if link.child.key == plan.key), None)

    def uncovered(self) -> list[tuple[Plan, PlanMeasure]]:
        """Superior measures that no loaded subordinate plan takes up, in plan order."""
        covered = {(m.parent.key, link.parent.key) for m in self.matchings for link in m.links}
        result = []
        for plan in self.plans:
            if not any(m.parent.key == plan.key for m in self.matchings):
                continue
            result += [(plan, m) for m in plan.measures if (plan.key, m.key) not in covered]
        return result

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``duban plan cascade`` (issue 24)."""
        return {
            "plans": [
                {
                    "title": p.title,
                    "doc_number": p.key,
                    "jurisdiction": p.jurisdiction,
                    "parent_doc_number": link.parent_key if (link := self.parent_of(p)) else None,
                }
                for p in self.plans
            ],
            "links": [
                {
                    "parent_doc_number": m.parent.key,
                    "parent_label": link.parent.label,
                    "parent_title": link.parent.title,
                    "child_doc_number": m.child.key,
                    "child_label": link.child.label,
                    "child_title": link.child.title,
                    "score": link.score,
                }
                for m in self.matchings
                for link in m.links
            ],
            "uncovered": [
                {"doc_number": plan.key, "label": m.label, "title": m.title}
                for plan, m in self.uncovered()
            ],
        }


def build_cascade(plans: Sequence[Plan], method: Method = DEFAULT_METHOD) -> Cascade:
    """Link the plans (repeated keys: the first one wins) and match each linked pair's measures."""
    first: dict[str, Plan] = {}
    for plan in plans:
        first.setdefault(plan.key, plan)
    unique = tuple(first.values())
    plan_links = tuple(link_plans(unique))
    matchings = tuple(
        link_measures(link.parent, link.child, method)
        for link in plan_links
        if link.parent is not None
    )
    return Cascade(unique, plan_links, matchings)
