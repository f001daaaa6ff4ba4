"""Plan cascade: which superior plan a plan implements, and which superior measures its measures
take up. Pure functions over parsed documents; nothing here stores or sends anything.

    plans = [p for f in files for p in read_plans(f)]        # or plan_from_document(doc, text)
    cascade = build_cascade(plans)                           # plan links + measure links
    cascade.to_dict()                                        # the `duban plan cascade` JSON
"""

from .cascade import Cascade, build_cascade
from .citations import Citation, find_citations
from .evaluation import Evaluation, evaluate
from .files import plans_from_bytes, plans_from_result, read_plans
from .measures import (
    DEFAULT_METHOD,
    MeasureLink,
    MeasureMatching,
    Method,
    PairScore,
    link_measures,
    pair_scores,
    select,
)
from .normalize import normalize_doc_number, plan_title, title_keys
from .plan_links import PlanLink, cited_superior, link_plans, superior_candidates
from .plans import Plan, PlanMeasure, department_function, plan_from_document

__all__ = [
    "DEFAULT_METHOD",
    "Cascade",
    "Citation",
    "Evaluation",
    "MeasureLink",
    "MeasureMatching",
    "Method",
    "PairScore",
    "Plan",
    "PlanLink",
    "PlanMeasure",
    "build_cascade",
    "cited_superior",
    "department_function",
    "evaluate",
    "find_citations",
    "link_measures",
    "link_plans",
    "normalize_doc_number",
    "pair_scores",
    "plan_from_document",
    "plan_title",
    "plans_from_bytes",
    "plans_from_result",
    "read_plans",
    "select",
    "superior_candidates",
    "title_keys",
]
