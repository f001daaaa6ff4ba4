"""What a plan says it implements: cited titles and 文号, and the annexes it carries.

``根据《人力资源社会保障部 国家发展改革委等20部门关于劳务品牌建设的指导意见》
（人社部发〔2021〕66号）`` gives a citation with both;
``附件：2. …指导意见（人社部发〔2021〕66号）`` an annex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .normalize import DOC_NUMBER, compact, find_doc_numbers, normalize_doc_number, title_keys

CitationKind = Literal["cited", "annex"]

# A title or 文号 counts as the basis of the plan only after one of these in the same clause.
_TRIGGER = re.compile(r"根据|按照|依据|遵照|参照|贯彻|落实|对照|依照")
_CLAUSE_END = "。；;！!？?，,\n"
_TITLE = re.compile(r"《([^《》]{2,120})》")
_NUMBER_AFTER = re.compile(rf"^[(（]\s*({DOC_NUMBER.pattern})\s*[)）]")
_ANNEX_HEAD = re.compile(r"^[-*•\s]*附\s*件\s*[:：]\s*(.*)$")
_ANNEX_ITEM = re.compile(r"^[-*•\s]*(\d{1,2})\s*[.、．]\s*(.+)$")
_NUMBER_IN_PARENS = re.compile(rf"[(（]\s*{DOC_NUMBER.pattern}\s*[)）]")


@dataclass(frozen=True, slots=True)
class Citation:
    """A superior plan named in a document: by title, by 文号, or both."""

    kind: CitationKind
    title: str | None
    doc_number: str | None

    @property
    def keys(self) -> frozenset[str]:
        return title_keys(self.title) if self.title else frozenset()

    def describe(self) -> str:
        name = f"《{self.title}》" if self.title else ""
        number = f"（{self.doc_number}）" if self.doc_number else ""
        verb = "引用" if self.kind == "cited" else "附件收录"
        return f"{verb}{name}{number}"


def find_citations(text: str) -> list[Citation]:
    """Citations in the order they appear; cited ones first, then annexes; no repeats."""
    found: dict[tuple[str, str | None, str | None], Citation] = {}
    for citation in [*_cited(text), *_annexes(text)]:
        found.setdefault((citation.kind, citation.title, citation.doc_number), citation)
    return list(found.values())


def _triggered(flat: str, position: int) -> bool:
    start = max((flat.rfind(ch, 0, position) for ch in _CLAUSE_END), default=-1)
    return bool(_TRIGGER.search(flat, start + 1, position))


def _cited(text: str) -> list[Citation]:
    flat = compact(text)
    cited: list[Citation] = []
    covered: set[str] = set()
    for match in _TITLE.finditer(flat):
        if not _triggered(flat, match.start()):
            continue
        after = _NUMBER_AFTER.match(flat[match.end() :])
        number = normalize_doc_number(after.group(1)) if after else None
        cited.append(Citation("cited", match.group(1), number))
        if number:
            covered.add(number)
    for match in DOC_NUMBER.finditer(flat):  # 根据人社部发〔2021〕66号文件 names no title
        number = normalize_doc_number(match.group(0))
        if number and number not in covered and _triggered(flat, match.start(2)):
            covered.add(number)
            cited.append(Citation("cited", None, number))
    return cited


def _annexes(text: str) -> list[Citation]:
    if "附" not in text:
        return []  # no 附件 line: the text's lines are not worth holding (a long plan's are MBs)
    items: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        head = _ANNEX_HEAD.match(line)
        if not head:
            continue
        rest = head.group(1).strip()
        if rest:
            item = _ANNEX_ITEM.match(rest)
            items.append(item.group(2) if item else rest)
        for following in lines[index + 1 : index + 20]:
            item = _ANNEX_ITEM.match(following)
            if not following:
                continue
            if not item:
                break
            items.append(item.group(2))
    annexes = []
    for entry in items:
        numbers = find_doc_numbers(entry)
        title = _NUMBER_IN_PARENS.sub("", compact(entry)).strip("《》") or None
        annexes.append(Citation("annex", title, numbers[0] if numbers else None))
    return annexes
