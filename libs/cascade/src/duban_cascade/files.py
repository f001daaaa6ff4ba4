"""Plans from files: parse each file with the plan importer, give every document its own text."""

from __future__ import annotations

from pathlib import Path

from duban_planparse import ParseResult, parse_bytes
from duban_planparse.decode import decode

from .plans import Plan, plan_from_document
from .segment import split_text


def plans_from_result(result: ParseResult, text: str) -> list[Plan]:
    """``text`` is the decoded text ``result`` was parsed from."""
    segments = split_text(text, result.documents)
    return [plan_from_document(d, s) for d, s in zip(result.documents, segments, strict=True)]


def read_plans(path: str | Path) -> list[Plan]:
    """Every plan in the file; raises ``PlanParseError`` (Chinese message) on unreadable input."""
    from duban_planparse import PlanParseError

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise PlanParseError(f"无法读取文件：{p}（{exc.strerror or exc}）") from exc
    result = parse_bytes(data, str(p))
    return plans_from_result(result, decode(data, str(p)).text)
