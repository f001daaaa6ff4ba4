"""Messages as plain text (e-mail's text part): no Markdown syntax left."""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it.token import Token

from duban_common.richtext.markdown import (
    links_only,
    parse,
    safe_href,
)


def to_text(markdown: str | Sequence[Token]) -> str:
    """The message as plain text: no Markdown syntax left. Headings and emphasis lose their
    markers, list items get "•" or "1.", a link reads "text（URL）" (a link that is a whole
    paragraph: its text, then the URL on its own line), quotes are indented."""
    tokens = parse(markdown) if isinstance(markdown, str) else markdown
    return _TextWriter(bullet="• ").write(tokens)


class _TextWriter:
    """Walks the block tokens; each block becomes lines, blocks are separated by a blank
    line (a tight list's items by a line break)."""

    def __init__(self, bullet: str) -> None:
        self.bullet = bullet

    def write(self, tokens: Sequence[Token]) -> str:
        blocks = self._blocks(list(tokens), 0, len(tokens))
        return "\n\n".join(b for b in blocks if b.strip()).strip() + "\n"

    def _blocks(self, tokens: list[Token], start: int, end: int) -> list[str]:
        out: list[str] = []
        i = start
        while i < end:
            token = tokens[i]
            close = closing(tokens, i) if token.nesting == 1 else i
            if token.type in ("paragraph_open", "heading_open"):
                out.append(self.inline(tokens[i + 1].children or []))
            elif token.type in ("bullet_list_open", "ordered_list_open"):
                out.append(self._list(tokens, i, close))
            elif token.type == "blockquote_open":
                inner = "\n\n".join(self._blocks(tokens, i + 1, close))
                out.append("\n".join("　　" + line for line in inner.splitlines()))
            elif token.type == "hr":
                out.append("――――――――")
            i = close + 1
        return out

    def _list(self, tokens: list[Token], start: int, end: int) -> str:
        ordered = tokens[start].type == "ordered_list_open"
        number = int(tokens[start].attrGet("start") or 1) if ordered else 0
        items: list[str] = []
        i = start + 1
        while i < end:
            close = closing(tokens, i)
            marker = f"{number}. " if ordered else self.bullet
            body = "\n".join(self._blocks(tokens, i + 1, close))
            lines = body.splitlines() or [""]
            pad = " " * len(marker)
            items.append("\n".join([marker + lines[0], *(pad + line for line in lines[1:])]))
            number += 1
            i = close + 1
        return "\n".join(items)

    def inline(self, children: Sequence[Token]) -> str:
        standalone = links_only(children)
        parts: list[str] = []
        label: list[str] | None = None  # the text of the link being read
        href: str | None = None
        for child in children:
            if child.type == "link_open":
                href = safe_href(str(child.attrGet("href") or ""))
                label = []
            elif child.type == "link_close" and label is not None:
                text = "".join(label)
                if href is None or href == text:
                    parts.append(href or text)
                elif standalone:
                    parts.append(f"{text}\n{href}")
                else:
                    parts.append(f"{text}（{href}）")
                href, label = None, None
            else:
                (parts if label is None else label).append(inline_text(child))
        return "".join(parts).strip()


def inline_text(token: Token) -> str:
    if token.type in ("text", "code_inline"):
        return token.content
    if token.type in ("softbreak", "hardbreak"):
        return "\n"
    return ""  # emphasis markers and the like carry no text


def closing(tokens: Sequence[Token], start: int) -> int:
    """Index of the token closing the block opened at `start`."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth == 0:
            return i
    return len(tokens) - 1
