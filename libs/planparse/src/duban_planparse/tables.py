"""Task-division tables (序号 | 重点任务 | 具体措施 | 牵头单位 | 配合单位 | 完成时限) as plan lines.

Rows become ``N.任务（牵头单位：…；配合单位：…；完成时限：…）`` so that the ordinary measure and
responsibility rules apply to tables from .docx, .xlsx, Markdown and text alike; tables of any
other kind become plain lines. A header may span two rows (责任单位 over 牵头单位 | 配合单位);
a second task column (重点任务 next to 具体措施) groups rows under a section heading.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CN = "一二三四五六七八九十"
# Order matters: the first pattern that matches a header cell decides its role.
_ROLE_COLUMNS = (
    ("seq", re.compile(r"^(?:序号|编号|序|号)$")),
    ("leader", re.compile(r"^(?!.*(?:单位|部门|处室)).*(?:领导|责任人)")),
    ("support", re.compile(r"(?:配合|协办|协助|参与|协同|协作)")),
    ("lead", re.compile(r"牵头|主责|主办")),
    ("resp", re.compile(r"(?:责任|承办|负责|实施)(?:单位|部门|主体|处室|科室)|^(?:单位|部门)$")),
    ("due", re.compile(r"时限|时间|期限|节点|进度|完成时")),
    ("skip", re.compile(r"备注|说明|完成情况|进展|序列")),
    ("goal", re.compile(r"目标|指标|成效|标准")),
    ("task", re.compile(r"任务|内容|措施|事项|工作|举措|项目|名称|要点|领域")),
)
_KEYS = {
    "leader": "责任领导",
    "lead": "牵头单位",
    "resp": "责任单位",
    "support": "配合单位",
    "due": "完成时限",
}
_HEADER_CELL_MAX = 14
_LIST_ROLES = ("lead", "resp", "support", "leader")
_CELL_BREAK = re.compile(r"(?<![、，,；;])\s*\n\s*(?![、，,；;])")
_PIPE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_PIPE_RULE = re.compile(r"^[\s|:\-]+$")
_TEXT_CELLS = re.compile(r"\t+|\s{2,}")
_SEQ = re.compile(r"^\d{1,4}[.．、]?$")


def _clean(cell: str) -> str:
    return re.sub(r"\s+", "", cell or "")


def _role(text: str) -> str | None:
    if not text or len(text) > _HEADER_CELL_MAX:
        return None
    for role, pattern in _ROLE_COLUMNS:
        if pattern.search(text):
            return role
    return None


def _header_roles(cells: list[str]) -> dict[str, int] | None:
    roles: dict[str, int] = {}
    tasks: list[int] = []
    for index, cell in enumerate(cells):
        role = _role(_clean(cell))
        if role == "task":
            if not tasks or cells[tasks[-1]] != cell:  # a merged header repeats its text
                tasks.append(index)
        elif role and role not in roles:
            roles[role] = index
    if not tasks and "goal" in roles:
        tasks = [roles.pop("goal")]  # 目标任务 | 牵头单位: the goal is the measure
    if not tasks or not ({"lead", "resp", "support"} & roles.keys()):
        return None
    # The last task column is the measure; an earlier one (重点任务) is its section.
    roles["task"] = tasks[-1]
    if len(tasks) > 1:
        roles["section"] = tasks[0]
    return roles


def _two_line_header(first: list[str], second: list[str]) -> dict[str, int] | None:
    """责任单位 merged over 牵头单位 | 配合单位: the second row names the columns."""
    if not any(_role(_clean(c)) for c in second) or any(
        len(_clean(c)) > _HEADER_CELL_MAX for c in second
    ):
        return None
    width = max(len(first), len(second))
    joined = []
    for i in range(width):
        top = _clean(first[i]) if i < len(first) else ""
        low = _clean(second[i]) if i < len(second) else ""
        joined.append(low if low and _role(low) else top)
    return _header_roles(joined)


def _find_header(rows: list[list[str]], start: int) -> tuple[dict[str, int], int] | None:
    roles = _header_roles(rows[start])
    named = {_role(_clean(c)) for c in rows[start]} - {None}
    if len(named) >= 2 and start + 1 < len(rows):  # a title row is not half a header
        double = _two_line_header(rows[start], rows[start + 1])
        if double is not None and (roles is None or len(double) > len(roles)):
            return double, 2
    if roles is not None:
        return roles, 1
    return None


def table_lines(rows: list[list[str]]) -> list[str]:
    lines: list[str] = []
    roles: dict[str, int] | None = None
    number = 0
    sections = 0
    section = ""
    last_seq = ""
    index = 0
    while index < len(rows):
        cells = [c.strip() for c in rows[index]]
        index += 1
        if roles is None:
            found = _find_header(rows, index - 1)
            if found is None:
                deduped = [c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]]
                joined = "  ".join(c for c in deduped if c)
                if joined:
                    lines.append(joined)
                continue
            roles, used = found
            index += used - 1
            continue

        def cell(role: str, cells: list[str] = cells, roles: dict[str, int] = roles) -> str:
            at = roles.get(role)
            if at is None or at >= len(cells):
                return ""
            if role in _LIST_ROLES:  # names on lines of their own inside one cell
                return _clean(_CELL_BREAK.sub("、", cells[at].strip()))
            return _clean(cells[at])

        if _header_roles(cells) is not None:
            continue  # a header repeated on every printed page
        filled = {_clean(c) for c in cells if _clean(c)}
        seq_text = cell("seq").rstrip("、.．")
        if len(filled) == 1 or (_CN_SEQ.match(seq_text) and not _has_parties(cell)):
            # A section row: one text merged across the row, or 一/二 in the 序号 column.
            title = cell("task") or next(iter(filled))
            sections += 1
            section = title
            lines.append(f"{_cn(sections)}、{title}")
            continue
        task = _OWN_NUMBER.sub("", cell("task"))
        goal = cell("goal")
        if not task:
            continue
        if goal and goal != task:
            task = f"{task.rstrip('。；;')}。{goal}"
        group = cell("section")
        if group and group != section and group != task:
            section = group
            sections += 1
            lines.append(f"{_cn(sections)}、{group}")
        number += 1
        seq = cell("seq").rstrip(".．、")
        if seq.isdigit() and seq != last_seq:
            label = f"{seq}."
            number = int(seq)
        else:
            label = f"{number}."
        last_seq = seq
        keys = ("leader", "lead", "resp", "support", "due")
        parts = [f"{_KEYS[r]}：{cell(r)}" for r in keys if cell(r) and cell(r) not in "/-—无"]
        clause = f"（{'；'.join(parts)}）" if parts else ""
        lines.append(f"{label}{task}{clause}")
    if roles is not None and number == 0:
        # A header and nothing under it: keep the words, they are all the table says.
        lines.extend("  ".join(c for c in row if c) for row in rows)
    return lines


_CN_SEQ = re.compile(r"^[（(]?[一二三四五六七八九十]{1,3}[）)]?$")
_OWN_NUMBER = re.compile(r"^(?:\d{1,3}[.．、](?!\d)|[（(]\d{1,3}[）)])")


def _has_parties(cell: Callable[[str], str]) -> bool:
    return any(cell(r) for r in ("lead", "resp", "support", "leader"))


def _cn(n: int) -> str:
    if n <= 10:
        return _CN[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens - 1]) + "十" + (_CN[ones - 1] if ones else "")


def pipe_tables_to_lines(text: str) -> str:
    """Rewrite Markdown pipe tables and space-aligned text tables; other lines pass through."""
    if "|" in text:
        text = _pipe_tables(text)
    if "  " in text or "\t" in text:
        text = _text_tables(text)
    if " " in text and _SPACED_HINT.search(text):
        text = _spaced_tables(text)
    return text


def _pipe_tables(text: str) -> str:
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


def _cells(line: str) -> list[str]:
    return [c for c in _TEXT_CELLS.split(line.strip()) if c]


def _text_tables(text: str) -> str:
    """A table flattened to text: a header row of column names, then one row per line.

    Only a block that opens with a recognised header (序号  重点任务  牵头单位 …) is read as a
    table: the header says which column is which. Rows may wrap; a line that does not start
    with a sequence number continues the row above in the task column.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        cells = _cells(line) if ("  " in line or "\t" in line) else []
        roles = _header_roles(cells) if len(cells) >= 3 else None
        if roles is None or "seq" not in roles:
            converted = _headerless_row(cells) if len(cells) >= 3 else None
            out.append(converted or line)
            i += 1
            continue
        block = [cells]
        i += 1
        while i < len(lines):
            row = _cells(lines[i])
            if not row:
                if i + 1 < len(lines) and _SEQ.match((_cells(lines[i + 1]) or [""])[0]):
                    i += 1  # a blank line between rows
                    continue
                break
            if _SEQ.match(row[0]) and len(row) >= 2:
                block.append(_align(row, len(cells), roles))
            elif len(block) > 1 and len(row) == 1:
                task = roles["task"]
                block[-1][task] += row[0]  # a wrapped task cell
            else:
                break
            i += 1
        out.extend(table_lines(block))
    return "\n".join(out)


def _align(row: list[str], width: int, roles: dict[str, int]) -> list[str]:
    """Rows with empty cells have fewer text cells than the header: fill from the right."""
    if len(row) >= width:
        return row[:width]
    # 序号 and the task always come first; missing cells are the optional trailing ones.
    task = roles.get("task", 1)
    head = row[: task + 1]
    tail = row[task + 1 :]
    return head + tail + [""] * (width - len(head) - len(tail))


_DUE_CELL = re.compile(r"\d{4}年|\d{1,2}月|年底|年内|长期|持续|每年|每季度|每月|前完成")


def _headerless_row(cells: list[str]) -> str | None:
    """``1  城镇新增就业1.2万人  市人社局  市财政局、各区  2024年底``: a row without its header.

    Read only when the sequence number leads and every cell after the task is a list of
    parties or a deadline; the first party cell leads, a second one supports.
    """
    from .parties import looks_like_party, split_parties

    if not _SEQ.match(cells[0]):
        return None
    seq = cells[0].rstrip(".．、")
    parties: list[str] = []
    due = ""
    for cell in cells[2:]:
        names = split_parties(cell)
        if names and all(looks_like_party(n) for n in names):
            parties.append(cell)
        elif _DUE_CELL.search(cell) and len(cell) <= 20 and not due:
            due = cell
        else:
            return None
    if not parties or len(parties) > 2:
        return None
    keys = ["责任单位"] if len(parties) == 1 else ["牵头单位", "配合单位"]
    parts = [f"{k}：{v}" for k, v in zip(keys, parties, strict=True)]
    if due:
        parts.append(f"完成时限：{due}")
    return f"{seq}.{cells[1]}（{'；'.join(parts)}）"


_SPACED_HINT = re.compile(r"序号 |编号 ")
_PARTY_ROLES = ("leader", "lead", "resp", "support")


def _spaced_header(line: str) -> tuple[list[str], dict[str, int]] | None:
    tokens = line.split()
    if len(tokens) < 3 or len(line) > 80 or not all(_role(t) for t in tokens):
        return None
    roles = _header_roles(tokens)
    if roles is None or roles.get("seq") != 0:
        return None
    after = [r for r, i in roles.items() if i > roles["task"]]
    if any(r not in (*_PARTY_ROLES, "due", "skip") for r in after):
        return None  # only party, leader and deadline columns may follow the task
    return tokens, roles


def _spaced_tables(text: str) -> str:
    """A PDF table extracted with single spaces: ``序号 重点任务 牵头单位 配合单位 完成时限``.

    Read only under such a header, whose every word names a column. Each row starts with its
    number; from the right come the deadline (when it looks like one), then the lists of
    parties, which fill the party columns in header order (a row without 配合单位 still has its
    牵头单位); the rest is the task. Lines without a number continue the row above: a list of
    names ending in 、 goes on, the rest of the line is read like the end of a row.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        header = _spaced_header(lines[i]) if " " in lines[i] else None
        if header is None:
            out.append(lines[i])
            i += 1
            continue
        tokens, roles = header
        block: list[list[str]] = [tokens]
        i += 1
        while i < len(lines):
            words = lines[i].split()
            if not words:
                i += 1
                if i < len(lines) and _SEQ.match((lines[i].split() or [""])[0]):
                    continue
                break
            if _SEQ.match(words[0]) and len(words) >= 2:
                row = [""] * len(tokens)
                row[0] = words[0]
                _fill(row, words[1:], roles, keep_task=True)
                block.append(row)
            elif len(block) > 1:
                _fill(block[-1], words, roles, keep_task=False)
            else:
                break
            i += 1
        out.extend(table_lines(block))
    return "\n".join(out)


def _is_parties(token: str) -> bool:
    from .parties import looks_like_party, split_parties

    names = split_parties(token)
    return bool(names) and all(looks_like_party(n) for n in names)


def _fill(row: list[str], words: list[str], roles: dict[str, int], keep_task: bool) -> None:
    party_columns = sorted(at for r, at in roles.items() if r in _PARTY_ROLES)
    filled = [at for at in party_columns if row[at]]
    rest = list(words)
    if filled and row[filled[-1]].endswith(("、", "，", ",")) and rest and _is_parties(rest[0]):
        row[filled[-1]] += rest.pop(0)  # a list of names wrapped onto this line
    due = roles.get("due")
    floor = 1 if keep_task else 0  # a new row keeps at least one word for its task
    if due is not None and not row[due] and len(rest) > floor and _DUE_CELL.search(rest[-1]):
        row[due] = rest.pop()
    parties: list[str] = []
    free = [at for at in party_columns if not row[at]]
    while len(rest) > floor and len(parties) < len(free) and _is_parties(rest[-1]):
        parties.insert(0, rest.pop())
    for at, names in zip(free, parties, strict=False):
        row[at] = names
    if keep_task and "section" in roles and len(rest) > 1:
        row[roles["section"]] = rest.pop(0)
    row[roles["task"]] += "".join(rest)
