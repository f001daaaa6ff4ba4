"""Plans from files: parse each file with the plan importer, give every document its own text."""

from __future__ import annotations

from pathlib import Path

from duban_planparse import ParseResult, parse_bytes, parse_file
from duban_planparse.decode import decode

from .plans import Plan, plan_from_document
from .segment import split_text


def plans_from_result(result: ParseResult, text: str, *, measures: bool = True) -> list[Plan]:
    """``text`` is the decoded text ``result`` was parsed from (``measures=False``: the plans
    without their measures, for their citations alone)."""
    segments = split_text(text, result.documents)
    return [
        plan_from_document(d, s, measures=measures)
        for d, s in zip(result.documents, segments, strict=True)
    ]


def plans_from_bytes(data: bytes, filename: str) -> list[Plan]:
    """Every plan in an uploaded file (the ledger's import); ``PlanParseError`` as the parser."""
    result = parse_bytes(data, filename)
    return plans_from_result(result, decode(data, filename).text)


def read_plans(path: str | Path) -> list[Plan]:
    """Every plan in the file; raises ``PlanParseError`` (Chinese message) on unreadable input."""
    result = parse_file(path)  # first: its errors name the file and the reason in Chinese
    p = Path(path)
    return plans_from_result(result, decode(p.read_bytes(), str(p)).text)
