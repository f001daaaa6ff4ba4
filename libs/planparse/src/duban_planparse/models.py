"""Result types. Frozen dataclasses; ``to_dict`` gives the JSON shape of issue 3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True, slots=True)
class Target:
    text: str
    value: int | float
    unit: str
    due: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "value": self.value, "unit": self.unit, "due": _iso(self.due)}


@dataclass(frozen=True, slots=True)
class Milestone:
    due: date
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "text": self.text}


@dataclass(frozen=True, slots=True)
class Party:
    """One responsible party of a measure, as printed and as resolved in the plan's place."""

    name: str  # as printed (the same string as in ``departments``)
    role: str  # lead | supporting
    kind: str  # department | collective
    canonical: str | None = None  # registry name
    proposed: str | None = None  # a department the registry does not know, named in full
    jurisdiction: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "kind": self.kind,
            "canonical": self.canonical,
            "proposed": self.proposed,
            "jurisdiction": self.jurisdiction,
        }


@dataclass(frozen=True, slots=True)
class NewDepartment:
    name: str  # proposed full name (韶关市财政局)
    printed: tuple[str, ...]  # every form the plan prints it in (市财政局)
    jurisdiction: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "printed": list(self.printed),
            "jurisdiction": self.jurisdiction,
        }


@dataclass(frozen=True, slots=True)
class ParsedMeasure:
    label: str
    path: tuple[str, ...]
    title: str
    text: str
    departments: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    supporting: tuple[str, ...] = ()
    leaders: tuple[str, ...] = ()
    due: date | None = None
    targets: tuple[Target, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    collective: tuple[str, ...] = ()
    # Registry name for each entry of ``departments`` (None when unknown or collective).
    canonical: tuple[str | None, ...] = ()
    unknown_departments: tuple[str, ...] = ()
    responsibility: str | None = None
    parties: tuple[Party, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "path": list(self.path),
            "title": self.title,
            "text": self.text,
            "departments": list(self.departments),
            "lead": list(self.lead),
            "supporting": list(self.supporting),
            "leaders": list(self.leaders),
            "due": _iso(self.due),
            "targets": [t.to_dict() for t in self.targets],
            "milestones": [m.to_dict() for m in self.milestones],
            "collective": list(self.collective),
            "canonical": list(self.canonical),
            "unknown_departments": list(self.unknown_departments),
            "responsibility": self.responsibility,
            "parties": [p.to_dict() for p in self.parties],
        }


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    title: str
    doc_number: str | None
    issuers: tuple[str, ...]
    issued_on: date | None
    due: date | None
    measures: tuple[ParsedMeasure, ...]
    warnings: tuple[str, ...] = ()
    jurisdiction: str | None = None
    cites: tuple[str, ...] = ()
    # The plan a transmittal notice carries: 关于印发《X》的通知 → X; otherwise the title.
    plan_title: str | None = None
    new_departments: tuple[NewDepartment, ...] = ()

    @property
    def assigned_measures(self) -> tuple[ParsedMeasure, ...]:
        """Measures that name at least one responsible party."""
        return tuple(m for m in self.measures if m.departments)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "doc_number": self.doc_number,
            "issuers": list(self.issuers),
            "issued_on": _iso(self.issued_on),
            "due": _iso(self.due),
            "measures": [m.to_dict() for m in self.measures],
            "warnings": list(self.warnings),
            "jurisdiction": self.jurisdiction,
            "cites": list(self.cites),
            "plan_title": self.plan_title,
            "new_departments": [d.to_dict() for d in self.new_departments],
        }


@dataclass(frozen=True, slots=True)
class ParseResult:
    source: str
    documents: tuple[ParsedDocument, ...]
    format: str = "text"
    encoding: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "encoding": self.encoding,
            "documents": [d.to_dict() for d in self.documents],
        }
