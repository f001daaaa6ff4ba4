"""Responsibility clauses: who leads, who supports, which leader answers for a measure.

Shapes understood (brackets may be （）, (), 〔〕 or 【】, or none when the clause has a line
of its own):
  A、B、C按职责分工负责 · A负责 · 各部门按职责分工负责 · A牵头，B、C配合
  责任单位：A，B、C。逗号前为牵头单位，下同   (the note carries forward with 下同)
  牵头单位：A；责任单位：B、C · 责任领导：X；牵头单位：A；责任单位：B
  部门分工：A牵头，各地、各部门配合
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .parties import is_collective, looks_like_party, restore_prefixes, split_parties
from .text_lines import CLOSERS, OPENERS

MAX_CLAUSE = 600

KEY = re.compile(
    r"(牵头单位|牵头部门|主责单位|主责部门|主办单位|承办单位|负责单位|责任主体|责任单位|责任部门|"
    r"配合单位|配合部门|协办单位|协办部门|协助单位|"
    r"参与单位|协同单位|责任领导|分管领导|牵头领导|联系领导|牵头市领导|完成时限|完成时间|时间节点|"
    r"时限要求|部门分工|责任分工|任务分工)\s*[：:]"
)
_LEAD_KEYS = {"牵头单位", "牵头部门", "主责单位", "主责部门", "主办单位", "承办单位"}
_SUPPORT_KEYS = {"配合单位", "配合部门", "协办单位", "协办部门", "协助单位", "参与单位", "协同单位"}
_RESP_KEYS = {"责任单位", "责任部门", "负责单位", "责任主体"}
_LEADER_KEYS = {"责任领导", "分管领导", "牵头领导", "联系领导", "牵头市领导"}
_DUE_KEYS = {"完成时限", "完成时间", "时间节点", "时限要求"}
_FREE_KEYS = {"部门分工", "责任分工", "任务分工"}

_SPACE = re.compile(r"\s+")
# Every responsibility clause names a role or a verb of responsibility; other brackets are skipped.
_ROLE_HINT = re.compile(
    r"负责|牵头|配合|参与|协助|协同|单位|部门|领导|分工|时限|时间|节点|责任|主体"
)
_NOTE = re.compile(
    r"[。；;，,]?\s*(?:逗号前(?:的)?为牵头(?:单位|部门)|排(?:在|名)?(?:第一|首位)(?:位)?的?为牵头(?:单位|部门)|"
    r"第一(?:个|家)?(?:单位)?为牵头(?:单位|部门))(?P<same>[，,、；;]?\s*下同)?[。；;]?\s*$"
)
_VERB = re.compile(
    r"(?:按(?:照)?职责分工负责|按职责分工落实|按职责分工|按职责负责|按职能分工负责|分工负责|共同负责|"
    r"负责落实|按职责落实|负责)$"
)
# （A、B负责，2022年底前完成）: a deadline after the parties.
_TRAILING_DUE = re.compile(
    r"[，,；;]\s*((?:\d{4}年|年内|年底|今年|长期|持续|每年|每季度|每月|\d{1,2}月)[^，,；;]{0,30})$"
)
_COMMAS = re.compile(r"[,；;]")
_LEAD_MARK = re.compile(r"[（(]牵头(?:单位|部门)?[）)]")
_LEAD_SPLIT = re.compile(r"^(?P<lead>[^，,；;]+?)牵头(?:负责)?(?:[，,；;]\s*(?P<rest>.+))?$")
_SUPPORT_VERB = re.compile(
    r"(?:按(?:照)?职责分工(?:负责|落实|配合)?|分工负责|配合落实|配合|参与|协助|协同|共同推进|负责)$"
)


@dataclass(slots=True)
class Responsibility:
    parties: list[str] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)
    supporting: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)
    due_text: str | None = None
    raw: list[str] = field(default_factory=list)
    # False when the lead is only "the first one listed" (no 牵头 marker).
    explicit_lead: bool = False

    def merge(self, other: Responsibility) -> None:
        if not other.raw and not other.parties and not other.leaders:
            return
        if not self.raw and not self.parties and not self.leaders:
            # The common case: the first clause of a measure.
            self.parties, self.lead = list(other.parties), list(other.lead)
            self.supporting, self.leaders = list(other.supporting), list(other.leaders)
            self.explicit_lead, self.raw = other.explicit_lead, list(other.raw)
            self.due_text = self.due_text or other.due_text
            return
        lead, supporting = other.lead, other.supporting
        if self.lead and not other.explicit_lead:
            # 牵头单位：A, then a separate 责任单位：B — B supports, it does not co-lead.
            lead, supporting = [], other.lead + other.supporting
        for mine, theirs in (
            (self.lead, lead),
            (self.supporting, supporting),
            (self.leaders, other.leaders),
        ):
            mine.extend(x for x in theirs if x not in mine)
        self.supporting[:] = [x for x in self.supporting if x not in self.lead]
        self.parties[:] = self.lead + self.supporting
        self.explicit_lead = self.explicit_lead or other.explicit_lead
        self.due_text = self.due_text or other.due_text
        self.raw.extend(other.raw)

    def __bool__(self) -> bool:
        return bool(self.parties or self.leaders)


@dataclass(slots=True)
class ClauseRules:
    """Document-wide conventions announced once (逗号前为牵头单位，下同)."""

    comma_lead: bool = False


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


def find_clauses(text: str, rules: ClauseRules) -> tuple[Responsibility, list[tuple[int, int]]]:
    """Responsibility clauses in ``text`` and the spans they occupy (brackets included)."""
    found = Responsibility()
    spans: list[tuple[int, int]] = []
    if not _ANY_OPENER.search(text):
        return found, spans
    for open_, close in bracket_groups(text):
        if close - open_ > MAX_CLAUSE:
            continue
        parsed = parse_clause(text[open_ + 1 : close], rules)
        if parsed is not None:
            found.merge(parsed)
            spans.append((open_, close + 1))
    return found, spans


def parse_clause(content: str, rules: ClauseRules) -> Responsibility | None:
    """Parse the inside of one clause; None when it is not a responsibility clause."""
    if len(content) > MAX_CLAUSE or not _ROLE_HINT.search(content):
        return None
    c = _SPACE.sub("", content).strip("。；;，,")
    if not c:
        return None
    comma_lead = rules.comma_lead
    note = _NOTE.search(c) if "牵头" in c else None
    if note:
        comma_lead = True
        if note.group("same"):
            rules.comma_lead = True
        c = c[: note.start()].strip("。；;，,")
    due_text = None
    trailing = _TRAILING_DUE.search(c)
    if trailing and not KEY.match(c):
        due_text, c = trailing.group(1), c[: trailing.start()]
    key = KEY.match(c)
    if _LEAD_MARK.search(c) and not any(k in c for k in _LEADER_KEYS | _LEAD_KEYS):
        result = _marked(c)
    else:
        result = _keyed(c, comma_lead) if key else _free(c)
    if result is None:
        return None
    result.due_text = result.due_text or due_text
    result.raw.append(content.strip())
    return result


def _parties(text: str) -> list[str] | None:
    names = split_parties(text)
    if not names or not all(looks_like_party(n) for n in names):
        return None
    return restore_prefixes(names)


def _free(c: str) -> Responsibility | None:
    """A牵头，B、C配合 · A、B按职责分工负责 · A负责."""
    if "牵头" in c:
        match = _LEAD_SPLIT.match(c)
        if not match:
            return None
        lead = _parties(match.group("lead"))
        rest = match.group("rest") or ""
        rest = _SUPPORT_VERB.sub("", rest).rstrip("，,；;")
        support = _parties(rest) if rest else []
        if lead is None or support is None:
            return None
        # Restore prefixes across the whole clause, not per part.
        names = restore_prefixes([*lead, *support])
        return _split_roles(names[: len(lead)], names[len(lead) :], explicit=True)
    verb = _VERB.search(c)
    if not verb:
        return None
    listed = _parties(c[: verb.start()])
    if not listed:
        return None
    return _split_roles(listed[:1], listed[1:])


def _marked(c: str) -> Responsibility | None:
    """A（牵头）、B、C: the lead is marked in the list itself."""
    body = _VERB.sub("", KEY.sub("", c))
    names = split_parties(body)
    marked = [bool(_LEAD_MARK.search(n)) for n in names]
    names = [_LEAD_MARK.sub("", n) for n in names]
    if not names or not all(looks_like_party(n) for n in names):
        return None
    names = restore_prefixes(names)
    lead = [n for n, m in zip(names, marked, strict=True) if m]
    others = [n for n, m in zip(names, marked, strict=True) if not m]
    return _split_roles(lead, others, explicit=bool(lead))


def _split_roles(lead: list[str], support: list[str], explicit: bool = False) -> Responsibility:
    lead = _dedupe(lead)
    support = [n for n in _dedupe(support) if n not in lead]
    return Responsibility(lead + support, lead, support, explicit_lead=explicit)


def _keyed(c: str, comma_lead: bool) -> Responsibility | None:
    matches = list(KEY.finditer(c))
    segments: list[tuple[str, str]] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(c)
        segments.append((m.group(1), c[m.end() : end].strip("。；;，, ")))
    result = Responsibility()
    lead: list[str] = []
    support: list[str] = []
    responsible: list[str] = []
    has_lead_key = any(k in _LEAD_KEYS for k, _ in segments)
    for key, value in segments:
        if not value:
            continue
        if key in _LEADER_KEYS:
            result.leaders.extend(n for n in split_parties(value) if n)
        elif key in _DUE_KEYS:
            result.due_text = value
        elif key in _FREE_KEYS:
            free = _free(_VERB.sub("", value) + "负责" if "牵头" not in value else value)
            if free is None:
                return None
            lead += free.lead
            support += free.supporting
        elif key in _LEAD_KEYS:
            names = _parties(value)
            if names is None:
                return None
            lead += names
        elif key in _SUPPORT_KEYS or (key in _RESP_KEYS and has_lead_key):
            names = _parties(_VERB.sub("", value))
            if names is None:
                return None
            support += names
        else:  # 责任单位 without a 牵头 key
            value = _VERB.sub("", value)
            if comma_lead:
                head, _, tail = _COMMAS.sub("，", value).partition("，")
                head_names = _parties(head)
                tail_names = _parties(tail) if tail else []
                if head_names is None or tail_names is None:
                    return None
                names = restore_prefixes([*head_names, *tail_names])
                lead += names[: len(head_names)]
                support += names[len(head_names) :]
            else:
                names = _parties(value)
                if names is None:
                    return None
                responsible += names
    result.explicit_lead = bool(lead)
    if responsible and lead:
        support = support + responsible
    elif responsible:
        lead, support = responsible[:1], responsible[1:] + support
    names = restore_prefixes([*lead, *support])
    result.lead = _dedupe(names[: len(lead)])
    result.supporting = [n for n in _dedupe(names[len(lead) :]) if n not in result.lead]
    result.parties = result.lead + result.supporting
    if not result.parties and not result.leaders and result.due_text is None:
        return None
    return result


def _dedupe(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def parse_line(line: str, rules: ClauseRules) -> Responsibility | None:
    """A clause standing alone on a line: keyed (牵头单位：…) or a bare list + 负责."""
    s = line.strip().strip("。；;")
    if not s or len(s) > MAX_CLAUSE:
        return None
    if s[0] in OPENERS and s[-1] in CLOSERS:
        return None  # bracketed clauses are found by find_clauses
    if KEY.match(s):
        return parse_clause(s, rules)
    if s.endswith(("负责", "配合", "参与", "分工负责", "牵头")):
        return parse_clause(s, rules)
    return None


_INLINE_KEY = re.compile(r"[。；;]\s*(?=" + KEY.pattern + ")")


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
    if any(ch in tail for ch in OPENERS):
        return paragraph, None  # leave bracketed text to find_clauses
    parsed = parse_clause(tail, rules)
    if parsed is None:
        return paragraph, None
    return paragraph[: match.start() + 1], parsed


def collective_of(names: list[str]) -> list[str]:
    return [n for n in names if is_collective(n)]
