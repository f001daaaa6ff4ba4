"""An uploaded plan file turned into an import preview: parsed (a corrupt or hostile file is a
Chinese 422, never a 500), each measure given its ids and its departments resolved, exactly
what confirming will create. Pure: no database (`service_layer.imports` stores it, each
document's header as the import's row and its measures as rows of their own)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from duban_common.logging import get_logger
from duban_planparse import ParsedDocument, ParseResult
from task_ledger.domain.errors import DomainError
from task_ledger.service_layer import directory, indicators

log = get_logger(__name__)


def _digest(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:16]


def _department_ref(
    name: str, jurisdiction: str | None, party: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A printed name resolved to a department: the registry's, else the parser's proposal
    named with the plan's jurisdiction (`市财政局` in a 韶关市 plan → 韶关市财政局), else the
    printed name. Collective groups (各区人民政府, 相关部门) are flagged as such."""
    from duban_planparse import default_registry

    found = default_registry().lookup(name, jurisdiction)
    if found is not None:
        return {
            "printed": name,
            "name": found.name,
            "jurisdiction": found.jurisdiction,
            "level": found.level,
            "id": directory.department_id(found.jurisdiction, found.name),
            "known": True,
        }
    party = party or {}
    place = party.get("jurisdiction") or jurisdiction or "未知"
    proposed = party.get("proposed") or name
    return {
        "printed": name,
        "name": proposed,
        "jurisdiction": place,
        "level": None,
        "id": directory.department_id(place, proposed),
        "known": False,
        "collective": party.get("kind") == "collective",
    }


@dataclass
class PreviewDocument:
    """A parsed document as previewed: its own fields (`fields`), the cascade's proposals
    (`proposals`: its superior, its measure links) and its measures, made afresh from the
    parse result on each pass (`measures`) and never all held: a 100,000-measure plan's
    measures were 100 MB as dicts, twice its parse result."""

    fields: dict[str, Any]
    source: ParsedDocument
    proposals: dict[str, Any] = field(default_factory=dict)
    # Each department's reference, made once and shared by the measures naming it.
    refs: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)

    def measures(self) -> Iterator[dict[str, Any]]:
        """Each measure with its ids, resolved departments and indicator drafts."""
        plan_id, due = self.fields["plan_id"], self.fields["due"]
        jurisdiction = self.fields["jurisdiction"]
        for position, m in enumerate(self.source.measures):
            measure = _preview_measure(plan_id, position, m.to_dict(), due, jurisdiction, self.refs)
            measure["indicators"] = indicators.preview_indicators(measure)
            yield measure

    def header(self, tally: Tally) -> dict[str, Any]:
        """The document as the import's row stores it: all but its measures, with what
        `tally` gathered of them."""
        return {**self.fields, **tally.fields(), **self.proposals, "measure_count": tally.count}


def build_preview(result: ParseResult) -> list[PreviewDocument]:
    """The parse result's documents with their ids: exactly what confirm will create."""
    documents = []
    for doc in result.documents:
        jurisdiction = doc.jurisdiction
        key = doc.doc_number or doc.title
        fields = {
            "plan_id": f"plan-{_digest(jurisdiction or '', key)}",
            # The plan a notice carries (关于印发《X》的通知 → X), else the document's title.
            "title": doc.plan_title or doc.title,
            "doc_number": doc.doc_number,
            "issuers": list(doc.issuers),
            "issued_on": doc.issued_on.isoformat() if doc.issued_on else None,
            "due": doc.due.isoformat() if doc.due else None,
            "jurisdiction": jurisdiction,
            "warnings": list(doc.warnings),
        }
        documents.append(PreviewDocument(fields, doc))
    return documents


class Tally:
    """What a document's header says of its measures, gathered one measure at a time: their
    count, the tasks they make, the units they name, their indicator conflicts."""

    def __init__(self) -> None:
        self.count = 0
        self._tasks = 0
        self._parties = _Parties()
        self._conflicts = indicators.Conflicts()

    def add(self, measure: dict[str, Any]) -> None:
        self.count += 1
        self._tasks += bool(measure["task_id"])
        self._parties.add(measure)
        self._conflicts.add(measure)

    def fields(self) -> dict[str, Any]:
        return {
            "task_count": self._tasks,
            **self._parties.fields(),
            "indicator_conflicts": self._conflicts.found,
        }


def _preview_measure(
    plan_id: str,
    position: int,
    m: dict[str, Any],
    plan_due: str | None,
    jurisdiction: str | None,
    refs: dict[tuple[Any, ...], dict[str, Any]],
) -> dict[str, Any]:
    names = list(m.get("departments") or [])
    lead = list(m.get("lead") or []) or names[:1]
    supporting = [n for n in (m.get("supporting") or names[1:]) if n not in lead]
    measure_id = f"msr-{_digest(plan_id, '/'.join(m['path']) or m['label'], str(position))}"
    parties = {p["name"]: p for p in m.get("parties") or []}

    def ref(name: str) -> dict[str, Any]:
        party = parties.get(name)
        key = (name, *(party or {}).values())
        if key not in refs:
            refs[key] = _department_ref(name, jurisdiction, party)
        return refs[key]

    return {
        "id": measure_id,
        "task_id": f"task-{_digest(measure_id)}" if lead else None,
        "position": position,
        "label": m["label"],
        "path": m["path"],
        "title": m["title"],
        "text": m["text"],
        "due": m.get("due") or plan_due,
        "targets": m.get("targets") or [],
        "milestones": m.get("milestones") or [],
        "lead": [ref(n) for n in lead],
        "supporting": [ref(n) for n in supporting],
    }


class _Parties:
    """The units a document's measures name, split for the review page: every one once (to
    offer for correction without reading every measure), the unregistered ones to create
    (or correct to registered ones) and the collective groups (各县（市、区）人民政府), which
    are no unit to create: their tasks are expanded to the members after confirming."""

    def __init__(self) -> None:
        self._named: dict[str, dict[str, Any]] = {}
        self._unknown: set[str] = set()
        self._collective: set[str] = set()

    def add(self, measure: dict[str, Any]) -> None:
        for ref in (*measure["lead"], *measure["supporting"]):
            self._named[ref["id"]] = ref
            if not ref["known"]:
                (self._collective if ref.get("collective") else self._unknown).add(ref["name"])

    def fields(self) -> dict[str, Any]:
        return {
            "departments": sorted(self._named.values(), key=lambda d: (d["known"], d["name"])),
            "unknown_departments": sorted(self._unknown),
            "collective_departments": sorted(self._collective),
        }


def classify_parties(document: dict[str, Any]) -> None:
    """Set the units a previewed document names (`_Parties`) from its measures."""
    parties = _Parties()
    for measure in document["measures"]:
        parties.add(measure)
    document.update(parties.fields())


def parse(data: bytes, filename: str) -> tuple[ParseResult, str]:
    """The file's parse result and its text (which the cascade reads for citations)."""
    from duban_planparse import PlanParseError, parse_decoded
    from duban_planparse.decode import decode

    try:
        decoded = decode(data, filename)
        return parse_decoded(decoded, filename), decoded.text
    except PlanParseError as exc:  # the package's base error: its message is for the user
        raise DomainError(f"无法解析方案文件：{exc}") from exc
    except Exception as exc:
        # The parser is a function of the uploaded bytes alone, so whatever else escapes it
        # (zlib.error, XMLSyntaxError, … from a corrupt or hostile file) is the file's fault:
        # a 422, never a 500. Logged, as it names a parser gap to close.
        log.warning("plan_parse_failed", filename=filename, error=repr(exc)[:300])
        raise DomainError("无法解析方案文件：文件已损坏或格式不受支持，请检查后重新上传") from exc
