"""Messages in the reduced Markdown group robots' clients render (`RobotDialect`), cut to their
size limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from duban_common.richtext.markdown import (
    parse,
    safe_href,
)
from duban_common.richtext.text import (
    closing,
    inline_text,
)


@dataclass(frozen=True)
class RobotDialect:
    """The Markdown a group robot's client renders. What it lacks is written as text:
    e.g. WeCom has no lists (items become "• …") and no italics."""

    name: str
    max_bytes: int
    lists: bool = True
    italic: bool = True
    inline_code: bool = True
    colour_tag: bool = False  # WeCom's <font color="info|comment|warning">


def to_robot_markdown(
    markdown: str | Sequence[Token], dialect: RobotDialect, *, accent: str | None = None
) -> list[str]:
    """The message in a robot's dialect, as blocks (headings, paragraphs, lists, quotes), so
    a caller can cut it at a block boundary to fit the robot's size limit. `accent` colours
    the headings where the dialect has colours."""
    tokens = parse(markdown) if isinstance(markdown, str) else markdown
    return _RobotWriter(dialect, accent).blocks(list(tokens), 0, len(tokens))


# Text that looks like markup stays text in a robot: its client would read "[a](b)", "**",
# "<font>" in a task title or comment as formatting (or a link). Full-width look-alikes
# read the same to people; robots' support for backslash escapes is undocumented.
_ROBOT_LITERAL = str.maketrans({"[": "［", "]": "］", "*": "＊", "<": "＜", ">": "＞", "`": "｀"})


def robot_literal(text: str) -> str:
    """Text as robot Markdown that reads as the same text (see `to_robot_markdown`)."""
    return text.translate(_ROBOT_LITERAL)


class _RobotWriter:
    def __init__(self, dialect: RobotDialect, accent: str | None) -> None:
        self.dialect = dialect
        self.accent = accent if dialect.colour_tag else None

    def blocks(self, tokens: list[Token], start: int, end: int) -> list[str]:
        out: list[str] = []
        i = start
        while i < end:
            token = tokens[i]
            close = closing(tokens, i) if token.nesting == 1 else i
            if token.type == "heading_open":
                text = self.inline(tokens[i + 1].children or [])
                if self.accent:
                    text = f'<font color="{self.accent}">{text}</font>'
                out.append(f"{token.markup} {text}")
            elif token.type == "paragraph_open":
                out.append(self.inline(tokens[i + 1].children or []))
            elif token.type in ("bullet_list_open", "ordered_list_open"):
                out.append(self._list(tokens, i, close))
            elif token.type == "blockquote_open":
                inner = "\n\n".join(self.blocks(tokens, i + 1, close))
                out.append("\n".join("> " + line for line in inner.splitlines()))
            elif token.type == "hr":
                out.append("---" if self.dialect.lists else "――――――――")
            i = close + 1
        return [b for b in out if b.strip()]

    def _list(self, tokens: list[Token], start: int, end: int) -> str:
        ordered = tokens[start].type == "ordered_list_open"
        number = int(tokens[start].attrGet("start") or 1) if ordered else 0
        bullet = "- " if self.dialect.lists else "• "  # WeCom shows "- " as it is
        items: list[str] = []
        i = start + 1
        while i < end:
            close = closing(tokens, i)
            marker = f"{number}. " if ordered else bullet
            body = "\n".join(self.blocks(tokens, i + 1, close))
            lines = body.splitlines() or [""]
            pad = "   " if self.dialect.lists else "  "
            items.append("\n".join([marker + lines[0], *(pad + line for line in lines[1:])]))
            number += 1
            i = close + 1
        return "\n".join(items)

    def inline(self, children: Sequence[Token]) -> str:
        parts: list[str] = []
        label: list[str] | None = None  # the text of the link being read
        href: str | None = None
        for child in children:
            kind = child.type
            if kind == "link_open":
                href = safe_href(str(child.attrGet("href") or ""))
                label = []
                continue
            if kind == "link_close" and label is not None:
                text = "".join(label)
                parts.append(f"[{text}]({href})" if href else text)
                href, label = None, None
                continue
            target = parts if label is None else label
            if kind in ("strong_open", "strong_close"):
                target.append("**")
            elif kind in ("em_open", "em_close"):
                target.append("*" if self.dialect.italic else "")
            elif kind == "code_inline":
                target.append(f"`{child.content}`" if self.dialect.inline_code else child.content)
            else:
                target.append(robot_literal(inline_text(child)))
        return "".join(parts).strip()


def fit_blocks(blocks: Sequence[str], max_bytes: int, tail: str) -> str:
    """Blocks joined by blank lines, cut at a block boundary to stay within `max_bytes`
    (UTF-8); when cut, `tail` (e.g. a link to the full message) ends it."""
    text = "\n\n".join(blocks)
    if len(text.encode()) <= max_bytes:
        return text
    budget = max_bytes - len(tail.encode()) - 2
    kept: list[str] = []
    used = 0
    for block in blocks:
        size = len(block.encode()) + (2 if kept else 0)
        if used + size > budget:
            break
        kept.append(block)
        used += size
    if not kept:  # a single huge block: cut it inside, never inside a character
        kept = [blocks[0].encode()[: max(budget, 0)].decode(errors="ignore")] if blocks else []
    return "\n\n".join([*kept, tail])
