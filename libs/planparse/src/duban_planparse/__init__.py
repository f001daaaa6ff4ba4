"""Duban plan importer: action-plan documents → measures, departments, deadlines, targets.

A pure library: ``parse_file``/``parse_bytes``/``parse_text``/``parse_decoded`` return a
``ParseResult`` whose ``to_dict()`` is the JSON shape the ledger imports.
"""

from .errors import PlanParseError
from .models import (
    Milestone,
    NewDepartment,
    ParsedDocument,
    ParsedMeasure,
    ParseResult,
    Party,
    Target,
)
from .parser import parse_bytes, parse_decoded, parse_file, parse_text
from .registry import Department, DepartmentRegistry, default_registry

__all__ = [
    "Department",
    "DepartmentRegistry",
    "Milestone",
    "NewDepartment",
    "ParseResult",
    "ParsedDocument",
    "ParsedMeasure",
    "Party",
    "PlanParseError",
    "Target",
    "default_registry",
    "parse_bytes",
    "parse_decoded",
    "parse_file",
    "parse_text",
]
