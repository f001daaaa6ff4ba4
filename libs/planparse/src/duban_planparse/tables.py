"""Task-division tables (序号 | 工作任务 | 牵头单位 | 责任单位 | 完成时限) turned into plan lines.

Rows become ``N. task（牵头单位：…；责任单位：…；完成时限：…）`` so that the ordinary
measure and responsibility rules apply; tables of any other kind become plain lines.
"""

from __future__ import annotations

import re

_ROLE_COLUMNS = (
    ("seq", re.compile(r"^(序号|编号|序)$")),
    ("leader", re.compile(r"(责任|分管|牵头|联系)领导")),
    ("lead", re.compile(r"牵头(单位|部门)")),
    ("support", re.compile(r"(责任|配合|协办|参与|协同)(单位|部门)")),
    ("due", re.compile(r"时限|时间|期限|节点")),
    ("task", re.compile(r"任务|内容|措施|事项|工作|目标")),
)
_KEYS = {"leader": "责任领导", "lead": "牵头单位", "support": "责任单位", "due": "完成时限"}
_PIPE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_PIPE_RULE = re.compile(r"^[\s|:\-]+$")


def _clean(cell: str) -> str:
    return re.sub(r"\s+", "", cell or "")


def _header_roles(cells: list[str]) -> dict[str, int] | None:
    roles: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = _clean(cell)
        for role, pattern in _ROLE_COLUMNS:
            if role not in roles and pattern.search(text):
                roles[role] = index
                break
    if "task" in roles and ({"lead", "support"} & roles.keys()):
        return roles
    return None


def table_lines(rows: list[list[str]]) -> list[str]:
    lines: list[str] = []
    roles: dict[str, int] | None = None
    number = 0
    for raw in rows:
        cells = [c.strip() for c in raw]
        # Merged cells repeat their text in python-docx; keep one copy.
        deduped = [c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]]
        if roles is None:
            roles = _header_roles(cells)
            if roles is None:
                joined = "  ".join(c for c in deduped if c)
                if joined:
                    lines.append(joined)
            continue

        def cell(role: str, cells: list[str] = cells, roles: dict[str, int] = roles) -> str:
            index = roles.get(role)
            return _clean(cells[index]) if index is not None and index < len(cells) else ""

        task = cell("task")
        if not task:
            continue
        number += 1
        seq = cell("seq")
        label = f"{seq}." if seq.isdigit() else f"{number}."
        parts = [f"{_KEYS[r]}：{cell(r)}" for r in ("leader", "lead", "support", "due") if cell(r)]
        clause = f"（{'；'.join(parts)}）" if parts else ""
        lines.append(f"{label}{task}{clause}")
    return lines


def pipe_tables_to_lines(text: str) -> str:
    """Rewrite Markdown pipe tables in ``text``; other lines pass through untouched."""
    if "|" not in text:
        return text
    out: list[str] = []
    block: list[list[str]] = []
    for line in text.split("\n"):
        match = _PIPE_ROW.match(line) if "|" in line else None
        if match:
            if not _PIPE_RULE.match(line):
                block.append([c.strip() for c in match.group(1).split("|")])
            continue
        if block:
            out.extend(table_lines(block))
            block = []
        out.append(line)
    if block:
        out.extend(table_lines(block))
    return "\n".join(out)
