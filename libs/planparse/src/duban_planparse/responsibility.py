"""Responsibility clauses: who leads, who supports, which leader answers for a measure.

Shapes understood (brackets （）()〔〕[]［］【】, or none: a line of its own, the end of a
paragraph after 。/，, the start of a paragraph or its last sentence):
  A、B、C按职责分工负责 · A、B等负责 · 各部门按职责分工负责 · A牵头，B、C配合
  A、B分别牵头，C配合 · 由分管副市长负责，A牵头，会同B，相关部门配合 · A（牵头）、B
  牵头单位：A；责任主体：各县（市、区）；配合单位：B · 协同责任单位/牵头负责领导/责任人：…
  责任单位：A，B、C。逗号前为牵头单位，下同 · （A牵头，各有关单位配合，以下不再逐项列出，下同）
  部门分工：A牵头，各地、各部门配合 · 市政府分管领导：X；牵头单位：A
Notes (下同, conventions) are applied and dropped; leaders go to ``leaders``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clause_forms import (
    Responsibility,
    free_clause,
    is_bare_list,
    is_party_list,
    keyed_clause,
    marked_clause,
)
from .clause_patterns import (
    CONTACT,
    GROUP_START,
    KEY,
    LEAD_MARK,
    MAX_CLAUSE,
    NAME_GAP,
    NOTE_PART,
    NOTE_STRIP,
    ROLE_HINT,
    SPACE,
    TRAILING_DUE,
    free_verb,
    top_level_split,
)
from .text_lines import CLOSERS, OPENERS

__all__ = [
    "KEY",
    "ClauseRules",
    "Responsibility",
    "find_clauses",
    "only_notes",
    "parse_clause",
    "parse_line",
    "split_inline",
    "split_leading",
]


@dataclass(slots=True)
class ClauseRules:
    """Document-wide conventions announced once (逗号前为牵头单位，下同)."""

    comma_lead: bool = False
    # 列第一位的为牵头单位: a bare list of names in brackets is a clause, its first name leads.
    bare_lists: bool = False

    @classmethod
    def from_preamble(cls, text: str) -> ClauseRules:
        notes = {k for m in NOTE_PART.finditer(text) for k, v in m.groupdict().items() if v}
        return cls(comma_lead="comma" in notes, bare_lists=bool({"comma", "first"} & notes))


_BRACKET = re.compile(r"[（(〔【\[［）)〕】\]］]|(?<=[。！？])\n")
_ANY_OPENER = re.compile(r"[（(〔【\[［]")


def bracket_groups(text: str) -> list[tuple[int, int]]:
    """Top-level bracket groups as (open, close) indices; unbalanced brackets are skipped."""
    groups: list[tuple[int, int]] = []
    depth = 0
    start = -1
    for match in _BRACKET.finditer(text):
        ch = match.group()
        if ch in OPENERS:
            if depth == 0:
                start = match.start()
            depth += 1
        elif ch == "\n":
            depth = 0  # a bracket left open at a paragraph end was never closed
        elif depth:
            depth -= 1
            if depth == 0:
                groups.append((start, match.start()))
    return groups


_CLAUSE_LIKE = re.compile(r"牵头|(?:责任|配合|协办|主责)(?:单位|部门)|(?:负责|配合)$")


def find_clauses(
    text: str, rules: ClauseRules, unread: list[str] | None = None
) -> tuple[Responsibility, list[tuple[int, int]]]:
    """Responsibility clauses in ``text`` and the spans they occupy (brackets included).

    Brackets that look like a clause but cannot be read are appended to ``unread``.
    """
    found = Responsibility()
    spans: list[tuple[int, int]] = []
    if not _ANY_OPENER.search(text):
        return found, spans
    for open_, close in bracket_groups(text):
        if close - open_ > MAX_CLAUSE:
            continue
        content = text[open_ + 1 : close]
        if found and only_notes(content):
            # （市人社局牵头，市财政局配合）（下同）: a note in brackets of its own.
            notes = _note_kinds(content)
            found.carry = found.carry or ("same" in notes and not {"comma", "first"} & notes)
            spans.append((open_, close + 1))
            continue
        closing = not text[close + 1 : close + 4].strip("。；;，,.　 \t").split("\n", 1)[0]
        parsed = parse_clause(content, rules, bare=closing or rules.bare_lists)
        if parsed is not None:
            found.merge(parsed)
            spans.append((open_, close + 1))
        elif unread is not None and _CLAUSE_LIKE.search(content):
            unread.append(content.strip())
    return found, spans


def _note_kinds(text: str) -> set[str]:
    return {k for m in NOTE_PART.finditer(text) for k, v in m.groupdict().items() if v}


def only_notes(text: str) -> bool:
    """（下同） · （逗号前为牵头单位，下同）: nothing but notes."""
    squeezed = SPACE.sub("", text)
    return bool(NOTE_PART.search(squeezed)) and not NOTE_STRIP.sub("", squeezed).strip("。；;，, ")


_INNER_BRACKETS = re.compile(r"[（(〔【\[［]([^（()）〔〕【】\[\]［］]{1,60})[）)〕】\]］]")


def _unwrap_notes(c: str) -> str:
    """市统计局，各县（市、区）政府（逗号前为牵头单位，下同）: the note leaves its brackets."""
    return _INNER_BRACKETS.sub(
        lambda m: "，" + m.group(1) if only_notes(m.group(1)) else m.group(0), c
    )


def parse_clause(content: str, rules: ClauseRules, bare: bool = False) -> Responsibility | None:
    """Parse the inside of one clause; None when it is not a responsibility clause.

    ``bare``: a list of names without any verb (（市民政局、市财政局）) is accepted too — for a
    bracket closing its paragraph, or when the document announced 列第一位的为牵头单位.
    """
    if len(content) > MAX_CLAUSE:
        return None
    # Under an announced convention any list of parties is a clause; a bracket that merely
    # closes its paragraph must list departments only (（各旗县） may be prose).
    hinted = content if " " not in content else SPACE.sub("", content)  # 牵 头 from a PDF
    if not ROLE_HINT.search(hinted) and not (
        (rules.bare_lists and is_party_list(content)) or (bare and is_bare_list(content))
    ):
        return None
    bare = bare or rules.bare_lists
    if "电话" in content or "联系" in content:
        content = CONTACT.sub("", content)  # 市发改委（联系人：张三，电话：…）
    # 市发改委 市财政局: a space between two names separates them (a line break may be a wrap);
    # 市 发 改 委 (a PDF that spaces every character) is one name.
    tokens = [t for t in re.split(r"[ \t]+", content) if t]
    if len(tokens) > 1 and all(len(t) >= 2 for t in tokens):
        content = NAME_GAP.sub("、", content)
    c = SPACE.sub("", content).strip("。；;，,、")
    if not c:
        return None
    comma_lead = rules.comma_lead
    carry = False
    if "为牵头" in c or "同" in c or "不再" in c:
        c = _unwrap_notes(c)
        notes = _note_kinds(c)
        if notes:
            c = NOTE_STRIP.sub("", c).strip("。；;，,")
            if "comma" in notes:
                comma_lead = True
                if "same" in notes:
                    rules.comma_lead = True
            if "first" in notes:
                comma_lead = False  # 排名第一的为牵头单位 overrides 逗号前 for this clause
                if "same" in notes:
                    rules.comma_lead = False
            # 下同 after a convention carries the convention; after parties, the parties.
            carry = "same" in notes and not ({"comma", "first"} & notes)
            bare = True  # the note names the list's convention
            if not c:
                return None
    due_text = None
    trailing = TRAILING_DUE.search(c)
    if trailing and not KEY.match(c):
        due_text, c = trailing.group(1), c[: trailing.start()]
    key = KEY.match(c)
    if key is None and ("：" in c[:14] or ":" in c[:14]):
        # 市政府分管领导：王某；牵头单位：… — a short qualifier before the first key.
        early = KEY.search(c, 0, 16)
        if early and early.start() <= 8 and not re.search(r"[，,；;。]", c[: early.start()]):
            c = c[early.start() :]
            key = KEY.match(c)
    if LEAD_MARK.search(c) and not key:
        result = marked_clause(c)
    else:
        result = keyed_clause(c, comma_lead) if key else free_clause(c, comma_lead, bare)
    if result is None:
        return None
    result.due_text = result.due_text or due_text
    result.carry = carry and bool(result.parties)
    result.raw.append(content.strip())
    return result


def parse_line(line: str, rules: ClauseRules) -> Responsibility | None:
    """A clause standing alone on a line: keyed (牵头单位：…) or a bare list + 负责."""
    s = line.strip().strip("。；;")
    if not s or len(s) > MAX_CLAUSE:
        return None
    if s[0] in OPENERS and s[-1] in CLOSERS:
        return None  # bracketed clauses are found by find_clauses
    if KEY.match(s):
        return parse_clause(s, rules)
    if "。" not in s and free_verb(s):  # 市发改委牵头，市财政局按职责分工落实
        return parse_clause(s, rules)
    return None


_INLINE_KEY = re.compile(r"(?:[。；;，,]|\s)\s*(?=" + KEY.pattern + ")")


def split_inline(paragraph: str, rules: ClauseRules) -> tuple[str, Responsibility | None]:
    """``加强统筹。责任单位：A、B。``: an unbracketed clause closing a paragraph."""
    if "：" not in paragraph and ":" not in paragraph:
        return paragraph, None
    match = None
    depth = position = 0
    for candidate in _INLINE_KEY.finditer(paragraph):
        segment = paragraph[position : candidate.start()]
        depth += sum(segment.count(c) for c in OPENERS) - sum(segment.count(c) for c in CLOSERS)
        position = candidate.start()
        if depth <= 0:
            match = candidate  # outside any bracket
            break
    if match is None:
        return paragraph, None
    tail = paragraph[match.end() :]
    if _bracketed_clause(tail):
        return paragraph, None  # leave bracketed clauses to find_clauses
    parsed = parse_clause(tail, rules)
    if parsed is None:
        return paragraph, None
    return paragraph[: match.start() + 1], parsed


def _bracketed_clause(text: str) -> bool:
    """A bracket in `text` that holds a clause of its own. A lead mark (``A（牵头）、B``), a
    note (``（下同）``), a leader's titles or contact details inside a keyed field are part of
    that field."""
    text = CONTACT.sub("", LEAD_MARK.sub("", text))
    return any(_CLAUSE_LIKE.search(text[start + 1 : end]) for start, end in bracket_groups(text))


_EARLY_CLAUSE = re.compile(r"^(?:由|[^，,；;。：:]{2,40}?(?:牵头|负责)[，,；;])")
_MAX_LEADING_GROUP = 60


def split_leading(paragraph: str, rules: ClauseRules) -> tuple[str, Responsibility | None]:
    """``由分管副市长负责，市住建局牵头，相关部门配合，开展……``: an unbracketed free clause.

    Looked for at the paragraph start, after a short title sentence (（一）标题。由…牵头，…) and
    as the paragraph's last sentence (…。市工信局牵头，市科技局配合。). The clause is the run of
    groups that each end with a verb of responsibility.
    """
    starts = [(0, False)]
    stop = paragraph.find("。")
    if 0 <= stop < _MAX_LEADING_GROUP:
        starts.append((stop + 1, False))
    last = paragraph.rstrip("。 ").rfind("。")
    if last > 0 and last + 1 != stop + 1:
        starts.append((last + 1, True))  # the last sentence: it must be the clause alone
    for start, alone in starts:
        rest = paragraph[start:]
        if not _EARLY_CLAUSE.match(rest):
            continue
        taken: list[str] = []
        end = 0
        position = 0
        for part in top_level_split(rest):
            text = GROUP_START.sub("", part.strip())
            position += len(part) + 1
            closing = text.endswith("。") and text.count("。") == 1
            core = text[:-1] if closing else text
            fits = len(core) <= _MAX_LEADING_GROUP and "。" not in core
            joins = bool(taken) and core.startswith(("会同", "联合"))
            if not (fits and (free_verb(core) or joins)):
                break
            taken.append(core)
            end = min(position, len(rest))
            if closing:
                break  # the sentence ends the clause
        if not taken or (start == 0 and end >= len(rest)):
            continue  # a whole clause line is parsed elsewhere
        if alone and rest[end:].strip("。 \n"):
            continue
        parsed = parse_clause("，".join(taken), rules)
        if parsed is not None and parsed.parties:
            return paragraph[:start] + rest[end:], parsed
    return paragraph, None
