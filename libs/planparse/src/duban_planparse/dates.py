"""Dates: signature dates, deadlines (2022年10月底前, 年内, "十四五"末) and phased milestones."""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date

_CN = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN.update({"八": 8, "九": 9})


def cn_int(text: str | None) -> int | None:
    """'12' / '十二' / '二十一' → int; None when blank or not a number."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN.get(tens, 0) if tens else 1) * 10 + (_CN.get(ones, 0) if ones else 0)
    if all(ch in _CN for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + _CN[ch]
        return value
    return None


def safe_date(year: int, month: int, day: int | None = None) -> date | None:
    if not (1949 <= year <= 2199 and 1 <= month <= 12):
        return None
    last = calendar.monthrange(year, month)[1]
    if day is None:
        day = last
    if not 1 <= day <= last:
        return None
    return date(year, month, day)


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    due: date
    kind: str  # "deadline" | "start"


_MENTION = re.compile(
    r"(?P<y>\d{4})\s*年"
    r"(?:\s*(?P<m>\d{1,2})\s*月份?(?:\s*(?P<d>\d{1,2})\s*[日号])?)?"
    r"(?P<per>上半年|下半年|第?[一二三四1-4]季度|年?底|年?末|上旬|中旬|下旬)?"
    r"(?P<rel>之前|以前|以来|至今|为止|开始|前|内|起)?"
    r"|(?P<plan>十[一二三四五六七八九]?|[六七八九])五[”\"’」』]?\s*(?:期间|末|时期|期末|规划期|结束)"
    r"|(?P<relative>今年内|今年底|年底前|本年度内|年内|本年度|年底)"
)
_QUARTER = {"一": 3, "二": 6, "三": 9, "四": 12, "1": 3, "2": 6, "3": 9, "4": 12}
_SKIP_BEFORE = set("比较同与较")


_GUILLEMET = re.compile(r"[《》]")


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans inside 《…》: cited titles carry years that are not deadlines."""
    spans: list[tuple[int, int]] = []
    start = -1
    for match in _GUILLEMET.finditer(text):
        if match.group() == "《":
            if start < 0:
                start = match.start()
        elif start >= 0:
            spans.append((start, match.start()))
            start = -1
    return spans


def _inside(spans: list[tuple[int, int]], starts: list[int], pos: int) -> bool:
    i = bisect_right(starts, pos) - 1
    return i >= 0 and spans[i][0] <= pos <= spans[i][1]


def find_mentions(text: str, ref_year: int | None = None) -> list[Mention]:
    if "年" not in text and "五" not in text:
        return []
    spans = _quoted_spans(text) if "《" in text else []
    starts = [s for s, _ in spans]
    found: list[Mention] = []
    for match in _MENTION.finditer(text):
        if spans and _inside(spans, starts, match.start()):
            continue
        mention = _mention(match, text, ref_year)
        if mention is not None:
            found.append(mention)
    return found


def _mention(match: re.Match[str], text: str, ref_year: int | None) -> Mention | None:
    s, e = match.start(), match.end()
    plan, relative, y, month, day, per, rel = match.group(
        "plan", "relative", "y", "m", "d", "per", "rel"
    )
    if plan:
        n = cn_int(plan)
        return Mention(s, e, date(2005 + (n - 10) * 5, 12, 31), "deadline") if n else None
    if relative:
        return Mention(s, e, date(ref_year, 12, 31), "deadline") if ref_year else None
    if s > 0 and (text[s - 1].isdigit() or text[s - 1] in _SKIP_BEFORE):
        return None
    rel = rel or ""
    if rel in ("以来", "至今"):
        return None
    if not (month or per or rel) and text[e : e + 1] in ("的", "度", "级"):
        return None
    due = _due(int(y), month, day, per or "")
    if due is None:
        return None
    if rel in ("开始", "起"):
        return Mention(s, e, date(due.year, 12, 31), "start")
    return Mention(s, e, due, "deadline")


def _due(year: int, month: str | None, day: str | None, per: str) -> date | None:
    if month:
        m = int(month)
        if day:
            return safe_date(year, m, int(day))
        d = {"上旬": 10, "中旬": 20}.get(per)
        return safe_date(year, m, d)
    if per == "上半年":
        return safe_date(year, 6)
    if per.endswith("季度"):
        return safe_date(year, _QUARTER[per[-3]])
    return safe_date(year, 12)


def latest_deadline(mentions: list[Mention]) -> date | None:
    dues = [m.due for m in mentions if m.kind == "deadline"]
    return max(dues) if dues else None


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences end with 。！？ or a line break."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in re.finditer(r"[。！？!?\n]", text):
        if match.end() - begin > 1:
            spans.append((begin, match.end()))
        begin = match.end()
    if begin < len(text) and text[begin:].strip():
        spans.append((begin, len(text)))
    return spans


def sentence_due(mentions: list[Mention], lo: int, hi: int) -> tuple[date | None, bool]:
    """Latest deadline in [lo, hi); falls back to a start marker (phase start → year end).

    ``mentions`` are in text order, so the ones inside are found by bisection.
    """
    starts = [m.start for m in mentions] if len(mentions) < 64 else _starts(mentions)
    inside = mentions[bisect_left(starts, lo) : bisect_left(starts, hi)]
    deadline = latest_deadline(inside)
    if deadline:
        return deadline, False
    begins = [m.due for m in inside if m.kind == "start"]
    return (max(begins), True) if begins else (None, False)


_STARTS_CACHE: dict[int, tuple[list[Mention], list[int]]] = {}


def _starts(mentions: list[Mention]) -> list[int]:
    """Start offsets of a long mention list, computed once per list."""
    cached = _STARTS_CACHE.get(id(mentions))
    if cached is None or cached[0] is not mentions:
        _STARTS_CACHE.clear()
        cached = (mentions, [m.start for m in mentions])
        _STARTS_CACHE[id(mentions)] = cached
    return cached[1]


def milestones(text: str, mentions: list[Mention]) -> list[tuple[date, str]]:
    """Phases of a measure: dated sentences, each followed by the undated ones after it.

    Only reported when the measure names at least two different dates.
    """
    if len({m.due for m in mentions}) < 2:
        return []
    groups: list[tuple[date, list[str]]] = []
    index = 0  # mentions and spans are both in text order: walk them together
    for lo, hi in _phase_spans(text):
        sentence = text[lo:hi].strip()
        deadline: date | None = None
        begin: date | None = None
        while index < len(mentions) and mentions[index].start < hi:
            mention = mentions[index]
            index += 1
            if mention.start < lo:
                continue
            if mention.kind == "deadline":
                deadline = mention.due if deadline is None else max(deadline, mention.due)
            else:
                begin = mention.due if begin is None else max(begin, mention.due)
        due = deadline or begin
        if due is not None:
            if groups and groups[-1][0] == due:
                groups[-1][1].append(sentence)
            else:
                groups.append((due, [sentence]))
        elif groups:
            groups[-1][1].append(sentence)
    if len({due for due, _ in groups}) < 2:
        return []
    return [(due, "".join(parts)) for due, parts in groups]


_PHASE_BREAK = re.compile(r"[，,；;](?=(?:到|至|力争|在|于|从)?\d{4}年)")


def _phase_spans(text: str) -> list[tuple[int, int]]:
    """Sentences, further cut where a clause opens with a year (…，2023年底前…)."""
    spans: list[tuple[int, int]] = []
    for lo, hi in sentence_spans(text):
        start = lo
        for match in _PHASE_BREAK.finditer(text, lo, hi):
            spans.append((start, match.end()))
            start = match.end()
        spans.append((start, hi))
    return spans


@dataclass(frozen=True, slots=True)
class DateLine:
    value: date | None
    printed: str
    is_print_date: bool  # "…印发": the date the office printed it, not the signing date


_DATE_LINE_PARTS = re.compile(
    r"(\d{4}|[〇○零一二三四五六七八九]{4})\s*年\s*(\d{1,2}|[一二三四五六七八九十]{1,3})?\s*月"
    r"\s*(\d{1,2}|[一二三四五六七八九十]{1,3})?\s*日\s*(印发|发布|印)?"
)


def parse_date_line(text: str) -> DateLine:
    match = _DATE_LINE_PARTS.search(text)
    if not match:
        return DateLine(None, text, False)
    year, month, day = (cn_int(g) for g in match.group(1, 2, 3))
    value = safe_date(year, month, day) if year and month and day else None
    return DateLine(value, text.strip(), bool(match.group(4)))
