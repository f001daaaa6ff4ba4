"""From text to documents and measures; the entry points of the package."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from . import dates
from .decode import decode
from .errors import PlanParseError
from .header import Header, read_header, split_documents
from .models import Milestone, ParsedDocument, ParsedMeasure, ParseResult, Target
from .parties import is_collective, restorable_prefix
from .registry import NATIONAL, DepartmentRegistry, default_registry
from .responsibility import ClauseRules
from .structure import Node, analyse, build_tree, leaves
from .targets import contradictions, find_targets
from .text_lines import Line, classify_all

MAX_WARNINGS = 200
SCAN_LIMIT = 100_000  # characters of one measure searched for dates and targets
_NATIONAL_NUMBER = re.compile(r"^(?:国|国办|中办|人社部|发改|财|教|工信部|民发|农|商)")
_TITLE_LEAD = re.compile(r"^(?:关于)?(?:印发|转发)?[《“]?")
_COMMA_NOTE = re.compile(r"逗号前(?:的)?(?:单位)?为牵头(?:单位|部门)")
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
    decoded = decode(data, filename)
    result = parse_text(decoded.text, filename, registry)
    return ParseResult(result.source, result.documents, decoded.format, decoded.encoding)


def parse_text(
    text: str, source: str = "<text>", registry: DepartmentRegistry | None = None
) -> ParseResult:
    if not text or not text.strip():
        raise PlanParseError(f"文件为空：{source}")
    registry = registry or default_registry()
    lines = classify_all(text)
    documents = [_document(doc, registry) for doc in split_documents(lines)]
    if not documents:
        raise PlanParseError(f"文件没有可识别的文字内容：{source}")
    return ParseResult(source, tuple(documents))


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
        return place
    return next((name for name in known if name in front_text[:3000]), None)


_TITLE_PLACE = re.compile(
    r"^([\u4e00-\u9fff]{1,8}?(?:自治区|自治州|自治县|自治旗|省|市|县|区|州|盟|旗))"
    r"(?=\d|[“\"《]|关于|人民政府)"
)
_NOT_PLACE_START = ("关于", "加强", "推进", "促进", "进一步", "做好", "开展", "实施", "全面", "深入")


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


def _document(lines: list[Line], registry: DepartmentRegistry) -> ParsedDocument:
    header = read_header(lines)
    warnings = list(header.warnings)
    first_heading = next((i for i, ln in enumerate(lines) if ln.kind == "heading"), len(lines))
    front_text = "\n".join(ln.text for ln in lines[:first_heading] if ln.kind == "text")
    jurisdiction = _jurisdiction(header, front_text, registry)
    ref_year = _ref_year(header)

    # A note in the preamble (责任单位中逗号前为牵头单位) sets the rule for the whole document.
    rules = ClauseRules(comma_lead=bool(_COMMA_NOTE.search(front_text[:SCAN_LIMIT])))
    tree = build_tree(lines[first_heading:])
    for node in tree:
        analyse(node, rules)
    nodes = list(leaves(tree))

    # The plan horizon comes from the parts that assign nobody: preamble and goal sections.
    general = [header.title, front_text[:SCAN_LIMIT]]
    general += [n.text[:SCAN_LIMIT] for n in nodes if not n.resp.parties]
    doc_due = dates.latest_deadline(
        [m for text in general for m in dates.find_mentions(text, ref_year)]
    )

    measures: list[ParsedMeasure] = []
    unknown: dict[str, None] = {}
    all_targets: list[Target] = []
    for node in nodes:
        measure = _measure(node, doc_due, ref_year, jurisdiction, registry)
        measures.append(measure)
        all_targets.extend(measure.targets)
        for name in measure.unknown_departments:
            unknown.setdefault(name)
    warnings.extend(f"未识别的部门：{name}" for name in unknown)
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
    )


_TRANSMITTED = re.compile(r"(?:印发|转发|下达)《(.+?)》")


def _plan_title(title: str) -> str | None:
    if not title:
        return None
    match = _TRANSMITTED.search(title)
    return match.group(1) if match else title


def _measure(
    node: Node,
    doc_due: date | None,
    ref_year: int | None,
    jurisdiction: str | None,
    registry: DepartmentRegistry,
) -> ParsedMeasure:
    resp = node.resp
    text = node.text
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
    for party in resp.parties:
        name = None if party in collective else registry.canonical(party, jurisdiction)
        canonical.append(name)
        if name is None and party not in collective:
            unknown.append(party)
    return ParsedMeasure(
        label=node.label,
        path=node.path,
        title=node.title,
        text=text,
        departments=tuple(resp.parties),
        lead=tuple(resp.lead),
        supporting=tuple(resp.supporting),
        leaders=tuple(resp.leaders),
        due=due,
        targets=tuple(find_targets(scanned, due_for)),
        milestones=tuple(Milestone(d, t) for d, t in phases),
        collective=tuple(collective),
        canonical=tuple(canonical),
        unknown_departments=tuple(unknown),
        responsibility="；".join(resp.raw) or None,
    )
