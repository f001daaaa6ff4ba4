"""Canonical forms of 文号 and plan titles, so that a citation finds the plan it names.

The same number is printed as 人社部发〔2021〕66号, 人社部发[2021]66 号, 人社部发（2021）66号
or with full-width digits; the same plan as 《关于印发〈X〉的通知》, X or 关于X的通知.
"""

from __future__ import annotations

import re
import unicodedata

# Year brackets seen in print and in extracted PDF text (NFKC has made ［］（） into [] ()).
_OPEN = "〔[(【〖<"
_CLOSE = "〕])】〗>"
DOC_NUMBER = re.compile(
    rf"([\u4e00-\u9fffA-Za-z]{{1,16}}?)\s*[{re.escape(_OPEN)}]\s*(\d{{4}})\s*"
    rf"[{re.escape(_CLOSE)}]\s*第?\s*(\d{{1,5}})\s*号"
)
# Words that run into the issuer code in running text: 根据人社部发〔2021〕66号.
_PREFIX_NOISE = re.compile(
    r"^.*(?:根据|按照|依据|参照|遵照|贯彻落实|贯彻|落实|精神|印发|转发|通知|意见|文件|要求|的|和|及|与)"
)
_SPACE = re.compile(r"\s+")
_PIECE = 256 * 1024  # characters
_QUOTES = str.maketrans("", "", "《》〈〉<>“”\"'‘’「」『』")
_WRAPPER = re.compile(r"^(?:.*?关于)?(?:印发|转发|下发|发布)(.+?)(?:的通知|的函)?$")
_TRAILING_NUMBER = re.compile(r"[(](?:[^()]*\d{4}[^()]*号)[)]$")


def nfkc(text: str) -> str:
    """Full-width digits, letters and brackets to their usual forms; 〔〕 and 【】 stay."""
    return unicodedata.normalize("NFKC", text)


def find_doc_numbers(text: str) -> list[str]:
    """Every 文号 in ``text``, canonical, in order of appearance, without repeats."""
    found: dict[str, None] = {}
    flat = nfkc(text)
    for match in DOC_NUMBER.finditer(flat):
        found.setdefault(_canonical(match))
    return list(found)


def normalize_doc_number(raw: str | None) -> str | None:
    """人社部发[2021]66 号 → 人社部发〔2021〕66号; None when ``raw`` holds no 文号."""
    if not raw:
        return None
    match = DOC_NUMBER.search(nfkc(raw))
    return _canonical(match) if match else None


def _canonical(match: re.Match[str]) -> str:
    prefix = _PREFIX_NOISE.sub("", match.group(1)) or match.group(1)
    return f"{prefix}〔{match.group(2)}〕{int(match.group(3))}号"


def compact(text: str) -> str:
    """NFKC without whitespace: PDF extraction puts spaces between digits and CJK."""
    if len(text) <= _PIECE:
        return _SPACE.sub("", nfkc(text))
    # A long text (a whole plan's, for its citations) a piece at a time, cut after a line
    # break (NFKC never composes across one): normalising 13 MB of text at once held four
    # copies of it.
    pieces = []
    start = 0
    while start < len(text):
        end = text.find("\n", start + _PIECE) + 1 or len(text)
        pieces.append(_SPACE.sub("", nfkc(text[start:end])))
        start = end
    return "".join(pieces)


def plan_title(title: str) -> str:
    """The plan a transmittal notice carries: 关于印发《X》的通知 → X; any other title unchanged
    (line breaks inside it removed, the spaces between issuers kept)."""
    flat = re.sub(r"\s*\n\s*", "", nfkc(title)).strip()
    match = _WRAPPER.match(flat)
    if match and "《" in flat:
        inner = re.search(r"《(.+)》", flat)
        return (inner.group(1) if inner else match.group(1)).strip()
    if match:
        return match.group(1).strip()
    return flat


def title_keys(title: str) -> frozenset[str]:
    """Keys under which a title is matched: the plan title without quotes and, when an issuer
    list precedes 关于, the part from 关于 on (citations often drop the issuers)."""
    core = _TRAILING_NUMBER.sub("", compact(plan_title(title))).translate(_QUOTES)
    if not core:
        return frozenset()
    keys = {core}
    if "关于" in core[1:]:
        keys.add(core[core.index("关于") :])
    return frozenset(k for k in keys if len(k) >= 4)
