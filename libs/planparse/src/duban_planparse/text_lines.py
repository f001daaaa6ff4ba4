"""Normalising extracted text and classifying each line (heading, furniture, date…)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .tables import pipe_tables_to_lines

OPENERS = "（(〔【[［"
CLOSERS = "）)〕】]］"
CN_DIGITS = "零〇○一二三四五六七八九十百"

_TRANSLATE = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},  # full-width digits
    0x3000: " ",
    0x00A0: " ",
    0x200B: None,
    0x200C: None,
    0x200D: None,
    0xFEFF: None,
    0x000C: "\n",
    0x000B: "\n",
    0x2028: "\n",
    0x2029: "\n",
    0xFE52: ".",  # ﹒ small full stop: 1﹒
    **{0x2474 + i: f"（{i + 1}）" for i in range(20)},  # ⑴
    **{0x2488 + i: f"{i + 1}." for i in range(20)},  # ⒈
    **{0x3220 + i: f"（{CN_DIGITS[i + 3] if i < 9 else '十'}）" for i in range(10)},  # ㈠
    **{0x2776 + i: chr(0x2460 + i) for i in range(10)},  # ❶ → ①
    **{0x2780 + i: chr(0x2460 + i) for i in range(10)},  # ➀ → ①
    **{0x278A + i: chr(0x2460 + i) for i in range(10)},  # ➊ → ①
}

_MD_PREFIX = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+•·]\s+)")
_BOLD = re.compile(r"\*\*|__")

# Heading labels by level: 第一部分 / 一、 / （一） / 1. / 第一条 / （1） / 1) / 1.1 / ①.
HEADING_PATTERNS = (
    (0, re.compile(r"^(第[一二三四五六七八九十百]{1,4}(?:部分|章|篇))\s*")),
    (1, re.compile(r"^([一二三四五六七八九十百零〇]{1,4})\s*[、.．]\s*")),
    (2, re.compile(r"^[（(]\s*([一二三四五六七八九十百零〇]{1,4})\s*[）)]\s*")),
    (3, re.compile(r"^(\d{1,4})\s*[.．、](?!\d)\s*")),
    (3, re.compile(r"^(第[一二三四五六七八九十百零〇\d]{1,5}条)\s*")),
    (4, re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*")),
    (4, re.compile(r"^(\d{1,3})\s*[)）]\s*")),
    (
        4,
        re.compile(
            r"^(\d{1,2}\.\d{1,2}(?:\.\d{1,2})?)[.．、]?\s*(?=[\u4e00-\u9fff])(?![万亿元个倍])"
        ),
    ),
    (5, re.compile(r"^([①-⑳])\s*")),
)

_HEADING_START = set("第一二三四五六七八九十百零〇（(0123456789") | {
    chr(c) for c in range(0x2460, 0x2474)
}
DOC_NUMBER = re.compile(
    r"([\u4e00-\u9fff]{1,15}?)\s*[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*第?\s*(\d{1,5})\s*号"
)
_DOC_NUMBER_LINE = re.compile(DOC_NUMBER.pattern + r"$")
_YEAR = r"(\d{4}|[〇○零一二三四五六七八九]{4})"
_SMALL = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
DATE_LINE = re.compile(
    rf"^(?:[\u4e00-\u9fff]{{2,30}}(?:办公厅|办公室|秘书处))?\s*{_YEAR}\s*年\s*{_SMALL}?\s*月"
    rf"\s*{_SMALL}?\s*日\s*(印发|发布|印)?$"
)
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~～_\s]*\d{1,4}[-—–－~～_\s]*|第\s*\d{1,4}\s*页.{0,10}|\d{1,4}\s*/\s*\d{1,4})$"
)
_COLOPHON = re.compile(
    r"^(?:[（(]\s*此件.{0,20}[）)]|[（(]\s*联系(?:人|单位|电话)[:：].*[）)]|公开方式[:：].*|"
    r"抄送[:：].*|主题词[:：].*|信息公开(?:选项|方式)[:：].*|[（(]\s*本文有删减\s*[）)]|"
    r"[（(]\s*(?:盖章|公章|印章|代章|签章)\s*[）)])$"
)
_ATTACH_MARK = re.compile(r"^附\s*件\s*[:：]?\s*(\d{0,2})$")
ATTACH_LIST = re.compile(r"^附\s*件\s*[:：]")
_RED_HEADER_ORG = re.compile(r"(?:厅|局|委|部|政府|办公室|办公厅|委员会|领导小组)(?:文件)$")
ORG_SUFFIX_CHARS = set(
    "部厅局委办院会行府心位门司所站队处室科署团联社协校馆台组区县市镇乡村旗盟州省关学"
)
_ORG_TOKEN = re.compile(r"^[\u4e00-\u9fff（）()]{3,40}$")
_TRAILING_GROUP = re.compile(r"[（(][^（()）]{1,20}[）)]$")


@dataclass(slots=True)
class Line:
    kind: str  # blank|text|heading|docnum|date|furniture|attach|org|signature
    text: str
    level: int = 0
    label: str = ""
    # Where a heading's text after its label starts: ``rest`` is cut only when asked for, as
    # every line of a document is held at once and most are headings.
    rest_at: int = 0

    @property
    def rest(self) -> str:
        """A heading's text after its label."""
        return self.text[self.rest_at :]


_NEEDS_TRANSLATE = re.compile(
    "[０-９\u3000\u00a0\u200b-\u200d\ufeff\x0b\x0c\u2028\u2029\ufe52"
    "\u2474-\u249b\u3220-\u3229\u2776-\u2793]"
)


# 【牵头单位】市发改委 · [责任单位]市财政局: a key in brackets instead of before a colon.
_BRACKETED_KEY = re.compile(
    r"[【\[［〔]\s*((?:牵头|责任|配合|协办|协同|参与|主责|协同责任)(?:单位|部门|领导)|"
    r"责任主体|完成时限|时间节点|完成时间)\s*[】\]］〕]\s*[：:]?"
)


def normalize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "单位" in text or "领导" in text or "时限" in text or "节点" in text:
        text = _BRACKETED_KEY.sub(r"\1：", text)
    if _NEEDS_TRANSLATE.search(text):
        text = text.translate(_TRANSLATE)
    if "**" in text or "__" in text:
        text = _BOLD.sub("", text)
    return pipe_tables_to_lines(text)


@lru_cache(maxsize=4096)  # one string per label (1. 2. 3. … repeat in every section)
def norm_label(level: int, num: str) -> str:
    if level == 0:
        return num  # 第一部分
    if level == 1:
        return f"{num}、"
    if level == 2:
        return f"（{num}）"
    if level == 3:
        return num if num.startswith("第") else f"{num}."
    if level == 4:
        return num if "." in num else f"（{num}）"
    return num


def is_org_name(token: str) -> bool:
    token = token.replace("（代章）", "").replace("(代章)", "")
    if not _ORG_TOKEN.match(token):
        return False
    while _TRAILING_GROUP.search(token):
        token = _TRAILING_GROUP.sub("", token)
    return len(token) >= 3 and (token[-1] in ORG_SUFFIX_CHARS or token.endswith("委员"))


def is_grid(s: str) -> bool:
    """Red-header grids of issuer names come out of PDFs as one character per cell."""
    tokens = s.split()
    return len(tokens) >= 4 and all(len(t) == 1 for t in tokens)


def classify(raw: str) -> Line:
    s = raw.strip()
    if s and s[0] in "#>-*+•·":
        s = _MD_PREFIX.sub("", s).strip()
    if not s:
        return Line("blank", "")
    last = s[-1]
    if len(s) <= 120:
        # Cheap guards first: most lines are prose and fail on their first or last character.
        if (last.isdigit() or last in "-—–－~～_页") and _PAGE_NUMBER.match(s):
            return Line("furniture", s)
        if (" " in s or "\t" in s) and is_grid(s):
            return Line("furniture", s)
        if s[0] in "（(公抄主信" and _COLOPHON.match(s):
            return Line("furniture", s)
        red_header = s == "文件" or (len(s) <= 40 and " " not in s and _RED_HEADER_ORG.search(s))
        if last == "件" and red_header:
            return Line("furniture", s)
        if last == "号" and _DOC_NUMBER_LINE.match(s):
            return Line("docnum", s)
        if last in "日发布印" and "年" in s and DATE_LINE.match(s):
            return Line("date", s)
        if s[0] == "附" and _ATTACH_MARK.match(s):
            return Line("attach", s)
    if s[0] in _HEADING_START:
        for level, pattern in HEADING_PATTERNS:
            match = pattern.match(s)
            if match:
                label = norm_label(level, match.group(1))
                return Line("heading", s, level, label, match.end())
    if (
        len(s) <= 160
        and (last in ORG_SUFFIX_CHARS or last in "）)员")
        and all(is_org_name(t) for t in s.split())
    ):
        return Line("org", s)
    return Line("text", s)


def classify_all(text: str) -> list[Line]:
    lines = [classify(raw) for raw in normalize(text).split("\n")]
    _mark_signatures(lines)
    _mark_attachment_lists(lines)
    return lines


def _mark_signatures(lines: list[Line]) -> None:
    """Organisation-only lines right before a date line are a signature block."""
    for index, line in enumerate(lines):
        if line.kind != "date":
            continue
        j = index - 1
        while j >= 0 and lines[j].kind in ("org", "blank", "furniture"):
            if lines[j].kind == "org":
                lines[j].kind = "signature"
            j -= 1


def _mark_attachment_lists(lines: list[Line]) -> None:
    """Numbered lines right after ``附件：1. …`` list attachments; they are not headings."""
    in_list = False
    for line in lines:
        if line.kind == "blank":
            in_list = False
        elif line.kind == "text" and ATTACH_LIST.match(line.text):
            in_list = True
            line.kind = "attachlist"
        elif in_list and line.kind in ("heading", "text"):
            line.kind = "attachlist"
        else:
            in_list = False
