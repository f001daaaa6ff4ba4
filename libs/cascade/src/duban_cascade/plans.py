"""A plan as the cascade sees it: identity, jurisdiction, citations and measures.

Built from the plan importer's ``ParsedDocument`` (``plan_from_document``) or, by the ledger, from
its stored rows (construct ``Plan``/``PlanMeasure`` directly): matching needs nothing else.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from duban_planparse import ParsedDocument, ParsedMeasure, default_registry

from . import jurisdiction as juris
from .citations import Citation, find_citations
from .normalize import compact, normalize_doc_number, plan_title, title_keys

_DEPARTMENT_SUFFIX = re.compile(r"(?:总局|委员会|办公室|委|部|厅|局|署|办)$")
_FUNCTION_ALIASES = {
    "人社": "人力资源社会保障", "发改": "发展改革", "市场监督管理": "市场监管",
    "科学技术": "科技", "住建": "住房城乡建设", "工信": "工业信息化", "文旅": "文化旅游",
    "卫健": "卫生健康", "卫生健康委员": "卫生健康",
}  # fmt: skip
_COLLECTIVE_START = ("各", "有关", "相关", "其他")
_LEADING = re.compile(
    r"^(?:中共中央|中共|中央|国务院|国家|中国|(?:省|自治区|市(?!场)|县|区)?党?委(?:员会)?(?=..)"
    r"|省|自治区|市(?!场)|县|区)"
)
# Branches of national bodies carry their place at the end: 人民银行广州分行, 证监会广东监管局.
_BRANCH = re.compile(
    r"(?:(?<=银行)[\u4e00-\u9fff]{2,5}?(?:中心支行|分行|支行)"
    r"|(?<=委员会)[\u4e00-\u9fff]{2,5}?监管局)$"
)


@dataclass(frozen=True, slots=True)
class PlanMeasure:
    key: str  # stable within the plan: the heading path, e.g. 二/（三）
    label: str  # unique within the plan, for people: （三）, or 二（一） when （一） repeats
    title: str
    text: str
    departments: tuple[str, ...] = ()
    # What the departments do, free of place: 人力资源和社会保障 for 人社部 and 省人社厅 alike.
    functions: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    key: str  # 文号, or the title where there is none (the ledger's plan key too)
    title: str  # the plan's own title, without a transmittal wrapper
    doc_number: str | None
    jurisdiction: str | None
    measures: tuple[PlanMeasure, ...]
    citations: tuple[Citation, ...] = ()
    # Other titles the plan goes by (its transmittal notice's); ``title_keys`` adds ``title``.
    aliases: frozenset[str] = field(default_factory=frozenset)

    @property
    def rank(self) -> int | None:
        return juris.rank(self.jurisdiction)

    @property
    def title_keys(self) -> frozenset[str]:
        """Keys a citation's title is matched against (see ``normalize.title_keys``)."""
        return title_keys(self.title) | self.aliases

    def measure(self, key: str) -> PlanMeasure:
        for m in self.measures:
            if m.key == key:
                return m
        raise KeyError(key)


def department_function(name: str, jurisdiction: str | None = None) -> str:
    """The department's function without its place and kind: 广东省人力资源和社会保障厅 →
    人力资源和社会保障. Canonical names (from the registry) give the same function everywhere."""
    flat = compact(name)
    found = default_registry().lookup(flat, jurisdiction)
    if found is not None:
        flat = found.name.removeprefix(found.jurisdiction)
    elif jurisdiction:
        flat = flat.removeprefix(jurisdiction)
    flat = flat.replace(jurisdiction or "\0", "")
    while (stripped := _LEADING.sub("", flat)) != flat and stripped:
        flat = stripped
    flat = _BRANCH.sub("", flat) or flat
    core = _DEPARTMENT_SUFFIX.sub("", flat) or flat
    # Registry names spell out 人力资源和社会保障, plans print 人力资源社会保障 or 人社.
    core = core.replace("和", "") if len(core) > 3 else core
    return _FUNCTION_ALIASES.get(core, core)


def measure_keys(measures: tuple[ParsedMeasure, ...]) -> list[str]:
    """The heading path (二/（三）); a path printed twice gets its position (#7) appended."""
    paths = ["/".join(m.path) or m.label for m in measures]
    counts = Counter(paths)
    return [p if counts[p] == 1 else f"{p}#{i}" for i, p in enumerate(paths)]


def measure_labels(measures: tuple[ParsedMeasure, ...]) -> list[str]:
    counts = Counter(m.label for m in measures)
    return [m.label if counts[m.label] == 1 else "".join(m.path) or m.label for m in measures]


def plan_from_document(
    document: ParsedDocument, text: str | None = None, *, measures: bool = True
) -> Plan:
    """``text`` is the document's own text (see ``plans_from_result``) for its citations;
    without it only the 文号 the parser found (``cites``) are known. ``measures=False``: the
    plan without its measures (its citations and names alone)."""
    number = normalize_doc_number(document.doc_number) or document.doc_number
    own_title = plan_title(getattr(document, "plan_title", None) or document.title)
    place = (
        getattr(document, "jurisdiction", None)
        or juris.from_names(document.issuers)
        or juris.from_doc_number(number)
        or juris.from_names([own_title])
    )
    aliases = title_keys(document.title) | title_keys(own_title)
    citations = [
        c
        for c in (find_citations(text) if text else [])
        if not (c.doc_number and c.doc_number == number) and not (c.keys & aliases)
    ]
    known = {c.doc_number for c in citations}
    for cited in getattr(document, "cites", ()):  # the parser's own finds, as a fallback
        canonical = normalize_doc_number(cited)
        if canonical and canonical != number and canonical not in known:
            citations.append(Citation("cited", None, canonical))
            known.add(canonical)
    found: tuple[PlanMeasure, ...] = ()
    if measures:
        labels = measure_labels(document.measures)
        keys = measure_keys(document.measures)
        found = tuple(
            _measure(m, key, label, place)
            for m, key, label in zip(document.measures, keys, labels, strict=True)
        )
    return Plan(
        # The ledger's plan key too (build_preview): the 文号 as parsed, else the title.
        key=document.doc_number or document.title or own_title,
        title=own_title,
        doc_number=number,
        jurisdiction=place,
        measures=found,
        citations=tuple(citations),
        aliases=aliases,
    )


def _measure(m: ParsedMeasure, key: str, label: str, place: str | None) -> PlanMeasure:
    canonical = tuple(m.canonical) + (None,) * (len(m.departments) - len(m.canonical))
    names = tuple(c or d for d, c in zip(m.departments, canonical, strict=False))
    # 各部门 / 各地 name no function: every measure of every plan could say it.
    collective = set(m.collective)
    functions = tuple(
        dict.fromkeys(
            department_function(n, place)
            for n in names
            if n not in collective and not n.startswith(_COLLECTIVE_START)
        )
    )
    return PlanMeasure(
        key=key,
        label=label,
        title=m.title,
        text=m.text,
        departments=names,
        functions=functions,
        targets=tuple(t.text for t in m.targets),
    )
