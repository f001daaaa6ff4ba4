"""Document boundaries and each document's header: 文号, title, issuers, date, citations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .dates import parse_date_line
from .parties import looks_like_party
from .text_lines import DOC_NUMBER, Line

_TITLE_WORDS = re.compile(
    r"方案|意见|通知|规划|计划|办法|要点|分工|清单|措施|决定|细则|报告|纲要|任务|安排|规定|若干|行动"
)
_NOT_TITLE_START = ("附件", "抄送", "各", "根据", "为", "按照", "现将", "经")
_ISSUER_TAIL = re.compile(r"等\s*\d*\s*个?(?:部门|单位)$")


@dataclass(slots=True)
class Header:
    doc_number: str | None = None
    title: str = ""
    issuers: list[str] = field(default_factory=list)
    issued_on: date | None = None
    warnings: list[str] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)


def split_documents(lines: list[Line]) -> list[list[Line]]:
    """A new 文号 (or a 附件 marker) after a document has begun its measures starts another.

    A 文号 line only opens a document when a title follows it; a number listed in an annex
    (a table of cited policies) does not.
    """
    docs: list[list[Line]] = [[]]
    has_heading = has_number = False
    for index, line in enumerate(lines):
        starts_new = (
            line.kind == "docnum" and (has_heading or has_number) and _title_follows(lines, index)
        ) or (line.kind == "attach" and has_heading)
        if starts_new:
            docs.append([])
            has_heading = has_number = False
        elif line.kind == "docnum" and has_heading:
            line.kind = "text"  # a number cited in the body stays part of it
        docs[-1].append(line)
        has_heading = has_heading or line.kind == "heading"
        has_number = has_number or line.kind == "docnum"
    return [d for d in docs if any(x.kind not in ("blank", "furniture") for x in d)]


def _title_follows(lines: list[Line], index: int) -> bool:
    seen = 0
    for line in lines[index + 1 : index + 12]:
        if line.kind in ("blank", "furniture"):
            continue
        if line.kind in ("text", "org") and _title_like(line.text):
            return True
        seen += 1
        if seen >= 2:
            break
    return False


_NUMBER_PREFIX_NOISE = re.compile(
    r"根据|按照|依据|参照|精神|印发|转发|通知|意见|文件|要求|的|和|及|与"
)


def normalize_doc_number(match: re.Match[str]) -> str:
    # The match starts as far left as the run of characters allows; keep the issuer code only.
    prefix = _NUMBER_PREFIX_NOISE.split(match.group(1))[-1] or match.group(1)
    return f"{prefix}〔{match.group(2)}〕{match.group(3)}号"


def _title_like(s: str) -> bool:
    return (
        2 < len(s) <= 80
        and "。" not in s
        and not s.endswith(("：", ":", "，", "；", "、", ","))
        and not s.startswith(_NOT_TITLE_START)
    )


def _find_title(front: list[Line]) -> str:
    texts = [ln for ln in front if ln.kind not in ("blank", "furniture")]
    start = next((i for i, ln in enumerate(texts) if ln.kind == "docnum"), None)
    if start is not None:
        parts: list[str] = []
        for ln in texts[start + 1 :]:
            if ln.kind not in ("text", "org") or not _title_like(ln.text) or len(parts) >= 4:
                break
            parts.append(ln.text)
        if parts:
            return "".join(parts)
    for i, ln in enumerate(texts):
        if ln.kind == "text" and _title_like(ln.text) and _TITLE_WORDS.search(ln.text):
            title = ln.text
            # A title broken over two lines leaves 《 open.
            j = i + 1
            while title.count("《") > title.count("》") and j < len(texts) and j < i + 4:
                title += texts[j].text
                j += 1
            return title
    return ""


def _issuers_from_title(title: str) -> list[str]:
    head = title.split("关于", 1)[0] if "关于" in title else ""
    head = _ISSUER_TAIL.sub("", head.strip())
    names = [n for n in re.split(r"[\s、，,]+", head) if n]
    return [n for n in names if looks_like_party(n)]


def read_header(lines: list[Line]) -> Header:
    header = Header()
    first_heading = next((i for i, ln in enumerate(lines) if ln.kind == "heading"), len(lines))
    front = lines[:first_heading]
    number_line = next((ln for ln in front if ln.kind == "docnum"), None)
    if number_line:
        match = DOC_NUMBER.search(number_line.text)
        header.doc_number = normalize_doc_number(match) if match else number_line.text
    header.title = _find_title(front)
    if not header.title:
        header.warnings.append("未找到文件标题")

    chosen = None
    print_date = None
    for index, line in enumerate(lines):
        if line.kind != "date":
            continue
        parsed = parse_date_line(line.text)
        if parsed.is_print_date:
            print_date = print_date or parsed
            continue
        names: list[str] = []
        j = index - 1
        while j >= 0 and lines[j].kind in ("signature", "blank", "furniture"):
            if lines[j].kind == "signature":
                names[:0] = lines[j].text.split()
            j -= 1
        if names and not header.issuers:
            header.issuers = [n.replace("（代章）", "").replace("(代章)", "") for n in names]
            chosen = parsed
        chosen = chosen or parsed
    chosen = chosen or print_date
    if not header.issuers:
        header.issuers = _issuers_from_title(header.title)
    if chosen is None:
        header.warnings.append("未找到成文日期")
    elif chosen.value is None:
        header.warnings.append(f"成文日期不完整：{chosen.printed}")
    else:
        header.issued_on = chosen.value

    seen = {header.doc_number}
    for line in lines:
        if line.kind in ("text", "attachlist", "heading") and "号" in line.text:
            for number in cited_numbers(line.text):
                if number not in seen:
                    seen.add(number)
                    header.cites.append(number)
    return header


_NUMBER_TAIL = re.compile(r"[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*第?\s*\d{1,5}\s*号")


def cited_numbers(text: str) -> list[str]:
    """文号 cited inline, e.g. （人社部发〔2021〕66 号）."""
    found = []
    # Anchor on the rare 〔2021〕N号 tail, then read the issuer code just before it.
    for tail in _NUMBER_TAIL.finditer(text):
        start = max(0, tail.start() - 16)
        match = DOC_NUMBER.search(text, start, tail.end())
        if match:
            found.append(normalize_doc_number(match))
    return found
