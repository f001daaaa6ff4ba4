"""From text to documents and measures; the entry points of the package."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TypeVar

from . import dates
from .decode import DecodedText, decode
from .errors import PlanParseError
from .header import Header, read_header, split_documents
from .items import Item
from .models import (
    Milestone,
    NewDepartment,
    ParsedDocument,
    ParsedMeasure,
    ParseResult,
    Party,
    Target,
)
from .parties import is_collective, restorable_prefix
from .registry import NATIONAL, DepartmentRegistry, default_registry
from .resolve import resolve
from .responsibility import ClauseRules
from .shared import Shared
from .structure import Node, analyse, leaves, sections
from .targets import contradictions, find_targets
from .text_lines import Line, classify_all

T = TypeVar("T")
MAX_WARNINGS = 200
SCAN_LIMIT = 100_000  # characters of one measure searched for dates and targets
_NATIONAL_NUMBER = re.compile(r"^(?:国|国办|中办|人社部|发改|财|教|工信部|民发|农|商)")
_TITLE_LEAD = re.compile(r"^(?:关于)?(?:印发|转发)?[《“]?")
_ABBREVIATIONS = {"广东省": "粤", "内蒙古自治区": "内"}


def parse_file(path: str | Path, registry: DepartmentRegistry | None = None) -> ParseResult:
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise PlanParseError(f"文件不存在：{p}") from exc
    except IsADirectoryError as exc:
        raise PlanParseError(f"不是文件而是目录：{p}") from exc
    except PermissionError as exc:
        raise PlanParseError(f"无权读取文件：{p}") from exc
    except OSError as exc:
        raise PlanParseError(f"无法读取文件：{p}（{exc.strerror or exc}）") from exc
    return parse_bytes(data, str(p), registry)


def parse_bytes(
    data: bytes, filename: str, registry: DepartmentRegistry | None = None
) -> ParseResult:
    return parse_decoded(decode(data, filename), filename, registry)


def parse_decoded(
    decoded: DecodedText, filename: str, registry: DepartmentRegistry | None = None
) -> ParseResult:
    """``parse_bytes`` of text already decoded (``decode``): for a caller that reads the text
    too and so decodes the file once."""
    result = parse_text(decoded.text, filename, registry)
    return ParseResult(result.source, result.documents, decoded.format, decoded.encoding)


def parse_text(
    text: str, source: str = "<text>", registry: DepartmentRegistry | None = None
) -> ParseResult:
    if not text or not text.strip():
        raise PlanParseError(f"文件为空：{source}")
    registry = registry or default_registry()
    # Each document's lines are let go as its tree takes them (`_document`), so none is kept
    # here: the list is emptied from the front.
    parts = split_documents(classify_all(text))
    parts.reverse()
    documents = []
    while parts:
        documents.append(_document(parts.pop(), registry))
    if not documents:
        raise PlanParseError(f"文件没有可识别的文字内容：{source}")
    return ParseResult(source, tuple(_numbers_from_notices(documents)))


def _bare_title(title: str | None) -> str:
    return re.sub(r"[\s《》“”\"]", "", title or "")


def _numbers_from_notices(documents: list[ParsedDocument]) -> list[ParsedDocument]:
    """A notice (关于印发《X》的通知, 文号 N) followed by the plan X: the plan's 文号 is N."""
    out = list(documents)
    for i in range(1, len(out)):
        notice, plan = out[i - 1], out[i]
        if plan.doc_number or not notice.doc_number or notice.plan_title == notice.title:
            continue
        if _bare_title(notice.plan_title) == _bare_title(plan.title):
            out[i] = replace(plan, doc_number=notice.doc_number)
    return out


def _jurisdiction(header: Header, front_text: str, registry: DepartmentRegistry) -> str | None:
    """Issuers first, then the title and 文号; the preamble only as a last resort."""
    found = registry.detect_jurisdiction(header.issuers)
    if found:
        return found
    known = [j.name for j in registry.jurisdictions() if j.name != NATIONAL]
    for name in known:
        if name in header.title:
            return name
    if header.doc_number:
        if _NATIONAL_NUMBER.match(header.doc_number):
            return NATIONAL
        for name, abbreviation in _ABBREVIATIONS.items():
            if header.doc_number.startswith(abbreviation) and name in known:
                return name
    # A place the registry does not know (山东省, 某县) is still worth naming.
    places = Counter(p for p in map(restorable_prefix, header.issuers) if p and len(p) > 1)
    if places:
        return places.most_common(1)[0][0]
    lead = _TITLE_LEAD.sub("", header.title)
    place = restorable_prefix(lead) or _title_place(lead)
    if place and len(place) > 1:
        # 沈阳市铁西区2024年…: the plan belongs to the district, not to the city.
        inner = _title_place(lead[len(place) :])
        return place + inner if inner and inner[-1] in "区县旗" else place
    return next((name for name in known if name in front_text[:3000]), None)


_TITLE_PLACE = re.compile(
    r"^([\u4e00-\u9fff]{1,8}?(?:自治区|自治州|自治县|自治旗|省|市|县|区|州|盟|旗))"
    r"(?=\d|[“\"《]|关于|人民政府)"
)
_NOT_PLACE_START = (
    "关于",
    "加强",
    "推进",
    "促进",
    "进一步",
    "做好",
    "开展",
    "实施",
    "全面",
    "深入",
)


def _title_place(title: str) -> str | None:
    """韶关市2024年优化营商环境工作要点 → 韶关市 (a year or 关于 right after the place)."""
    match = _TITLE_PLACE.match(title)
    if match is None or title.startswith(_NOT_PLACE_START):
        return None
    return match.group(1)


def _ref_year(header: Header) -> int | None:
    if header.issued_on:
        return header.issued_on.year
    for text in (header.doc_number or "", header.title):
        match = re.search(r"(20\d\d)", text)
        if match:
            return int(match.group(1))
    return None


def _drained(values: list[T]) -> Iterator[T]:
    """The values in order, each let go by the list once handed out."""
    values.reverse()
    while values:
        yield values.pop()


def _analysed(body: list[Line], rules: ClauseRules) -> Iterator[Node]:
    """Each top-level section analysed in turn, in document order (as the clause rules a
    note announces apply from there on)."""
    for section in sections(_drained(body)):
        analyse(section, rules)
        yield section


def _document(lines: list[Line], registry: DepartmentRegistry) -> ParsedDocument:
    header = read_header(lines)
    warnings = list(header.warnings)
    first_heading = next((i for i, ln in enumerate(lines) if ln.kind == "heading"), len(lines))
    front_text = "\n".join(ln.text for ln in lines[:first_heading] if ln.kind == "text")
    jurisdiction = _jurisdiction(header, front_text, registry)
    ref_year = _ref_year(header)
    body = lines[first_heading:]
    del lines  # (the caller holds none): the header's lines go now, the body's one by one

    # A note in the preamble (责任单位中逗号前为牵头单位) sets the rule for the whole document.
    rules = ClauseRules.from_preamble(front_text[:SCAN_LIMIT])
    # The tree is built, analysed and reduced to its measures' items section by section: a
    # 100,000-measure plan's whole tree and lines were 170 MB.
    shared = Shared()
    items = [Item.of(leaf, shared) for leaf in leaves(_analysed(body, rules))]

    # The plan horizon comes from the parts that assign nobody: preamble and goal sections.
    general = [header.title, front_text[:SCAN_LIMIT]]
    general += [item.text[:SCAN_LIMIT] for item in items if not item.clause.parties]
    doc_due = dates.latest_deadline(
        [m for text in general for m in dates.find_mentions(text, ref_year)]
    )

    measures: list[ParsedMeasure] = []
    unknown: dict[str, None] = {}
    all_targets: list[Target] = []
    measure_warnings: list[str] = []
    new_departments: dict[str, tuple[list[str], str | None]] = {}
    unread: list[bool] = []  # per measure: a clause-like bracket in it could not be read
    for item in _drained(items):  # each item let go once its measure is made
        measure = _measure(item, doc_due, ref_year, jurisdiction, registry, shared)
        measures.append(measure)
        all_targets.extend(measure.targets)
        for name in measure.unknown_departments:
            unknown.setdefault(name)
        for party in measure.parties:
            if party.proposed:
                printed, _ = new_departments.setdefault(party.proposed, ([], party.jurisdiction))
                if party.name not in printed:
                    printed.append(party.name)
        measure_warnings.extend(_measure_warnings(item, measure))
        unread.append(item.unread is not None)
    measure_warnings.extend(_unassigned_warnings(unread, measures))
    warnings.extend(f"未识别的部门：{name}" for name in unknown)
    warnings.extend(measure_warnings)
    warnings.extend(contradictions(all_targets))
    if not measures:
        warnings.append("未识别到任何条目（一、（一）、1. 等编号）")
    elif not any(m.departments or m.leaders for m in measures):
        warnings.append("未找到任何责任单位条款")
    if len(warnings) > MAX_WARNINGS:
        extra = len(warnings) - MAX_WARNINGS
        warnings = [*warnings[:MAX_WARNINGS], f"……另有 {extra} 条警告未列出"]
    return ParsedDocument(
        title=header.title,
        doc_number=header.doc_number,
        issuers=tuple(header.issuers),
        issued_on=header.issued_on,
        due=doc_due,
        measures=tuple(measures),
        warnings=tuple(warnings),
        jurisdiction=jurisdiction,
        cites=tuple(header.cites),
        plan_title=_plan_title(header.title),
        new_departments=tuple(
            NewDepartment(name, tuple(printed), place)
            for name, (printed, place) in new_departments.items()
        ),
    )


_UNKNOWN_NUMBERING = re.compile(
    r"^(?:[A-Za-z][.、)）]|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ][.、．]?|第\d+(?:项|点)|"
    r"[一二三四五六七八九十]+[）)]|\d+[-—]\d+|[★☆●○◆◇■□▲△►•])"
)


def _where(measure: ParsedMeasure) -> str:
    return "".join(measure.path) or measure.label


def _measure_warnings(item: Item, measure: ParsedMeasure) -> list[str]:
    """What the user must check in this measure: unread clauses, items merged into one."""
    out: list[str] = []
    where = _where(measure)
    if item.unread is not None and not measure.departments:
        out.append(f"{where}：责任单位未能识别（{item.unread[:40]}）")
    if item.clauses >= 2 and len({tuple(r) for r in _clause_leads(item)}) != 1:
        out.append(f"{where}：含 {item.clauses} 处责任条款，可能合并了多项措施，请核对编号")
    marks = [line[:4] for line in measure.text.split("\n")[1:] if _UNKNOWN_NUMBERING.match(line)]
    if len(marks) >= 2:
        out.append(
            f"{where}：有未识别的编号（{'、'.join(marks[:3])}…），可能合并了多项措施，请核对"
        )
    return out


def _clause_leads(item: Item) -> list[list[str]]:
    return [[raw] for raw in item.clause.raw]


def _unassigned_warnings(unread: list[bool], measures: list[ParsedMeasure]) -> list[str]:
    """Measures without any party where their siblings have one (or the plan has none at all).

    Goal and safeguard sections (总体要求, 保障措施) name nobody in every measure; they are not
    a failure to read and are not reported.
    """
    groups: dict[tuple[str, ...], list[ParsedMeasure]] = {}
    for measure in measures:
        groups.setdefault(measure.path[:-1], []).append(measure)
    none_at_all = not any(m.departments for m in measures)
    out = []
    for unreadable, measure in zip(unread, measures, strict=True):
        if measure.departments or unreadable:
            continue
        siblings = groups[measure.path[:-1]]
        assigned = sum(1 for m in siblings if m.departments)
        if none_at_all or assigned * 2 >= len(siblings):
            out.append(f"{_where(measure)}：未读出责任单位")
    return out


_TRANSMITTED = re.compile(r"(?:印发|转发|下达)(?:《(.+?)》|(.+?)的通知$)")


def _plan_title(title: str) -> str | None:
    if not title:
        return None
    match = _TRANSMITTED.search(title)
    if match is None:
        return title
    return match.group(1) or match.group(2)


def _measure(
    item: Item,
    doc_due: date | None,
    ref_year: int | None,
    jurisdiction: str | None,
    registry: DepartmentRegistry,
    shared: Shared,
) -> ParsedMeasure:
    resp = item.clause
    text = item.text
    # Real measures are a few thousand characters; a runaway one (noise) is only skimmed.
    scanned = text[:SCAN_LIMIT]
    mentions = dates.find_mentions(scanned, ref_year)
    own_due = None
    if resp.due_text:
        own_due = dates.latest_deadline(dates.find_mentions(resp.due_text, ref_year))
    own_due = own_due or dates.latest_deadline(mentions)
    due = own_due or doc_due

    phases = dates.milestones(scanned, mentions) if mentions else []
    spans: list[tuple[int, int]] = []

    def due_for(pos: int) -> date | None:
        if mentions and not spans:
            spans.extend(dates.sentence_spans(scanned))
        for lo, hi in spans:
            if lo <= pos < hi:
                found, _ = dates.sentence_due(mentions, lo, hi)
                return found or due
        return due

    collective = [p for p in resp.parties if is_collective(p)]
    canonical: list[str | None] = []
    unknown: list[str] = []
    parties: list[Party] = []
    leads = set(resp.lead)
    for party in resp.parties:
        kind = "collective" if party in collective else "department"
        found = resolve(party, jurisdiction, registry)
        # ``canonical`` keeps the registry's own answer for the printed name.
        name = None if kind == "collective" else registry.canonical(party, jurisdiction)
        canonical.append(name)
        if name is None and kind == "department":
            unknown.append(party)
        role = "lead" if party in leads else "supporting"
        parties.append(
            shared(Party(party, role, kind, found.canonical, found.proposed, found.jurisdiction))
        )
    return ParsedMeasure(
        label=item.label,
        path=item.path,
        title=item.title,
        text=text,
        departments=resp.parties,
        lead=resp.lead,
        supporting=resp.supporting,
        leaders=resp.leaders,
        due=due,
        targets=tuple(find_targets(scanned, due_for)),
        milestones=tuple(Milestone(d, t) for d, t in phases),
        # The same clause gives the same values: shared (see `Shared`).
        collective=shared(tuple(collective)),
        canonical=shared(tuple(canonical)),
        unknown_departments=shared(tuple(unknown)),
        responsibility=shared("；".join(resp.raw)) or None,
        parties=shared(tuple(parties)),
    )
