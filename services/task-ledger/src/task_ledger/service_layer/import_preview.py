"""An uploaded plan file turned into an import preview: parsed (a corrupt or hostile file is a
Chinese 422, never a 500), each measure given its ids and its departments resolved, exactly
what confirming will create. Pure: no database (`service_layer.imports` stores it)."""

from __future__ import annotations

import hashlib
from typing import Any

from duban_common.logging import get_logger
from duban_planparse import ParseResult
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


def build_preview(result: ParseResult) -> dict[str, Any]:
    """The parse result with ids and resolved departments, exactly what confirm will create.
    Measure by measure (a 100,000-measure plan as one dict took 180 MB more), and each
    department's reference made once per document and shared by the measures naming it."""
    documents = []
    for doc in result.documents:
        jurisdiction = doc.jurisdiction
        key = doc.doc_number or doc.title
        plan_id = f"plan-{_digest(jurisdiction or '', key)}"
        due = doc.due.isoformat() if doc.due else None
        refs: dict[tuple[Any, ...], dict[str, Any]] = {}
        measures = [
            _preview_measure(plan_id, position, m.to_dict(), due, jurisdiction, refs)
            for position, m in enumerate(doc.measures)
        ]
        document = {
            "plan_id": plan_id,
            # The plan a notice carries (关于印发《X》的通知 → X), else the document's title.
            "title": doc.plan_title or doc.title,
            "doc_number": doc.doc_number,
            "issuers": list(doc.issuers),
            "issued_on": doc.issued_on.isoformat() if doc.issued_on else None,
            "due": due,
            "jurisdiction": jurisdiction,
            "warnings": list(doc.warnings),
            "measures": measures,
            "task_count": sum(1 for m in measures if m["task_id"]),
        }
        classify_parties(document)
        indicators.annotate_preview(document)  # drafts per measure, conflicts per document
        documents.append(document)
    return {"documents": documents}


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


def classify_parties(document: dict[str, Any]) -> None:
    """Split the unregistered parties of a previewed document: units to create (or correct to
    registered ones) and collective groups (各县（市、区）人民政府), which are no unit to create —
    they are kept as groups and their tasks are expanded to the members after confirming."""
    refs = [d for m in document["measures"] for d in (*m["lead"], *m["supporting"])]
    # Every unit the document names, once: the review page offers them for correction
    # without reading every measure.
    named = {d["id"]: d for d in refs}
    document["departments"] = sorted(named.values(), key=lambda d: (d["known"], d["name"]))
    document["unknown_departments"] = sorted(
        {d["name"] for d in refs if not d["known"] and not d.get("collective")}
    )
    document["collective_departments"] = sorted(
        {d["name"] for d in refs if not d["known"] and d.get("collective")}
    )


def parse(data: bytes, filename: str) -> ParseResult:
    from duban_planparse import PlanParseError, parse_bytes

    try:
        return parse_bytes(data, filename)
    except PlanParseError as exc:  # the package's base error: its message is for the user
        raise DomainError(f"无法解析方案文件：{exc}") from exc
    except Exception as exc:
        # The parser is a function of the uploaded bytes alone, so whatever else escapes it
        # (zlib.error, XMLSyntaxError, … from a corrupt or hostile file) is the file's fault:
        # a 422, never a 500. Logged, as it names a parser gap to close.
        log.warning("plan_parse_failed", filename=filename, error=repr(exc)[:300])
        raise DomainError("无法解析方案文件：文件已损坏或格式不受支持，请检查后重新上传") from exc


def first_pages(preview: dict[str, Any], page_size: int) -> dict[str, Any]:
    """The preview as answered: each document whole but its measures cut to the first page,
    with their count (a 100,000-measure plan answered 47 MB in one piece)."""
    return {
        **preview,
        "documents": [
            {**doc, "measures": doc["measures"][:page_size], "measure_count": len(doc["measures"])}
            for doc in preview.get("documents", [])
        ],
    }
