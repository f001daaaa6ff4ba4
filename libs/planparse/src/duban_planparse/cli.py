"""Text rendering for ``duban plan parse FILE --format table`` (the command lives in duban.cli)."""

from __future__ import annotations

import json
import unicodedata

from .models import ParsedDocument, ParseResult

_COLUMNS = (("编号", 14), ("措施", 26), ("牵头", 20), ("配合", 30), ("期限", 10), ("目标", 16))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """Cut to ``width`` display columns (CJK counts two) and pad."""
    if _width(text) > width:
        cut = ""
        for ch in text:
            if _width(cut + ch) > width - 1:
                break
            cut += ch
        text = cut + "…"
    return text + " " * (width - _width(text))


def _document_table(doc: ParsedDocument) -> list[str]:
    lines = [
        f"文件：{doc.title or '（无标题）'}",
        f"文号：{doc.doc_number or '—'}    成文日期：{doc.issued_on or '—'}    "
        f"期限：{doc.due or '—'}    辖区：{doc.jurisdiction or '—'}",
        f"发文单位：{'、'.join(doc.issuers) or '—'}",
        "",
        "  ".join(_fit(name, width) for name, width in _COLUMNS).rstrip(),
        "  ".join("-" * width for _, width in _COLUMNS),
    ]
    for m in doc.measures:
        targets = "；".join(f"{t.value}{t.unit}" for t in m.targets)
        row = (
            "".join(m.path),
            m.title,
            "、".join(m.lead),
            "、".join(m.supporting),
            str(m.due or ""),
            targets,
        )
        lines.append(
            "  ".join(_fit(v, w) for v, (_, w) in zip(row, _COLUMNS, strict=True)).rstrip()
        )
        if m.leaders:
            lines.append(f"{'':14}  责任领导：{'、'.join(m.leaders)}")
        for milestone in m.milestones:
            lines.append(f"{'':14}  节点 {milestone.due}：{_fit(milestone.text, 60).rstrip()}")
    assigned = len(doc.assigned_measures)
    lines.append(f"共 {len(doc.measures)} 项措施，其中 {assigned} 项明确了责任单位")
    lines.extend(f"警告：{w}" for w in doc.warnings)
    lines.extend(
        f"新部门：{d.name}（文中写作：{'、'.join(d.printed)}）" for d in doc.new_departments
    )
    return lines


def format_table(result: ParseResult) -> str:
    blocks = ["\n".join(_document_table(doc)) for doc in result.documents]
    return ("\n\n".join(blocks) + "\n") if blocks else ""


def format_json(result: ParseResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
