"""Markdown messages shown in every channel: sanitised HTML, plain text, robot dialects.

A message is written once, in CommonMark (the notifier's templates), and shown by whatever
reads it: the in-app inbox and e-mail as sanitised HTML, e-mail's text part as plain text
without Markdown syntax, group robots in the reduced Markdown their clients understand.

markdown-it-py parses (raw HTML off: `<script>` in a message is text, never markup) and
renders; nh3 (ammonia) then sanitises the HTML, so even a rendering bug cannot let a script,
an event handler or a `javascript:` link through. Links keep only http(s) or relative
targets; links to another site carry rel="noopener noreferrer" and open in a new tab.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = [
    "EMAIL_STYLE",
    "INBOX_STYLE",
    "HtmlStyle",
    "RobotDialect",
    "fit_blocks",
    "md_escape",
    "parse",
    "robot_literal",
    "to_html",
    "to_robot_markdown",
    "to_text",
]

SAFE_SCHEMES = frozenset({"http", "https"})
# What a message can contain once rendered; anything else is dropped by the sanitiser.
TAGS = frozenset(
    {"p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "a", "ul", "ol", "li"}
    | {"blockquote", "code", "hr"}
)
STYLED_PROPERTIES = frozenset(
    {"color", "background-color", "font-size", "font-weight", "line-height", "margin"}
    | {"padding", "padding-left", "border", "border-left", "border-radius", "text-decoration"}
    | {"display"}
)


# CommonMark without what a message never needs: raw HTML, images, link reference
# definitions, setext headings, indented and fenced code, entities. Less to parse (a third
# faster) and less to sanitise. The preset caps nesting at 20 levels (`>>>>…` stays cheap).
_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_PARSER.disable(
    ["html_block", "html_inline", "image", "reference", "lheading", "code", "fence", "entity"]
)
# Messages are a few kB (the inbox keeps 20,000 characters); parsing is linear but not free.
MAX_CHARS = 50_000
# A parsed message: what `parse` returns and every renderer below accepts (callers need not
# import the Markdown library to name it).
Parsed = list[Token]


def parse(markdown: str) -> list[Token]:
    """The token stream of a message, to render it for several channels from one parse."""
    return _PARSER.parse(markdown[:MAX_CHARS])


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>#!|~&])")
# What opens a block at the start of a line: a list item, a setext underline; indentation
# (an indented code block) is dropped.
_LINE_START_BLOCK = re.compile(r"^[ \t]*(?:([-+=])|(\d+)([.)]))?", re.MULTILINE)


def md_escape(text: str) -> str:
    """Text (a task title, a comment) as Markdown that reads as exactly that text: no
    emphasis, link, raw HTML, heading or list can come out of it."""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return _LINE_START_BLOCK.sub(_escape_block_start, escaped)


def _escape_block_start(found: re.Match[str]) -> str:
    marker, number, delimiter = found.groups()
    if marker:
        return f"\\{marker}"
    return f"{number}\\{delimiter}" if number else ""


def safe_href(href: str | None) -> str | None:
    """The target of a link people may follow: http(s) or a path on this site, else None."""
    if not href:
        return None
    href = href.strip()
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme:
        return href if parts.scheme.lower() in SAFE_SCHEMES and parts.netloc else None
    # No scheme: a path on this site. "//host" would leave it, and browsers read "/\host"
    # (or "/<tab>/host") as "//host" too.
    if not href.startswith("/") or href.startswith("//"):
        return None
    return None if "\\" in href or any(ord(c) <= 32 for c in href) else href


def is_external(href: str, site: str | None) -> bool:
    if not urlsplit(href).scheme:
        return False
    if site is None:
        return True
    mine, theirs = urlsplit(site), urlsplit(href)
    return (mine.scheme, mine.netloc) != (theirs.scheme.lower(), theirs.netloc.lower())


def _standalone(children: Sequence[Token]) -> bool:
    """A paragraph made only of links (e.g. "[查看任务](…)"): its links are actions."""
    depth = 0
    links = 0
    for child in children:
        if child.type == "link_open":
            depth += 1
            links += 1
        elif child.type == "link_close":
            depth -= 1
        elif depth == 0 and not (
            child.type in ("softbreak", "hardbreak")
            or (child.type == "text" and not child.content.strip())
        ):
            return False
    return links > 0


# --- HTML ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HtmlStyle:
    """How rendered HTML is dressed: CSS classes (a page with a stylesheet) or inline styles
    (e-mail clients drop <style>). `action` dresses a paragraph's only link as a button."""

    classes: Mapping[str, str] = field(default_factory=dict)
    styles: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def cleaner(self) -> nh3.Cleaner:
        """The sanitiser letting exactly these classes and styles through (built once)."""
        return _cleaner(self)

    def attrs(self, name: str) -> dict[str, str]:
        found = {}
        if name in self.classes:
            found["class"] = self.classes[name]
        if name in self.styles:
            found["style"] = self.styles[name]
        return found


# The ledger's pages (their stylesheet has .button): every link a button, a paragraph's only
# link the primary one.
INBOX_STYLE = HtmlStyle(classes={"link": "button msg-link", "action": "button primary msg-action"})
_BUTTON = (
    "display:inline-block;padding:8px 18px;margin:4px 0;border-radius:4px;"
    "background-color:#1d4ed8;color:#ffffff;text-decoration:none;font-weight:bold"
)
EMAIL_STYLE = HtmlStyle(
    styles={
        "h1": "font-size:20px;margin:0 0 12px;color:#1f2937",
        "h2": "font-size:19px;margin:0 0 12px;color:#1f2937",
        "h3": "font-size:18px;margin:0 0 12px;color:#1f2937",
        "h4": "font-size:16px;margin:16px 0 8px;color:#374151",
        "p": "margin:0 0 12px;line-height:1.7",
        "ul": "margin:0 0 12px;padding-left:22px",
        "ol": "margin:0 0 12px;padding-left:22px",
        "li": "margin:0 0 6px;line-height:1.7",
        "blockquote": "margin:0 0 12px;padding:8px 12px;border-left:4px solid #cbd5e1;"
        "background-color:#f8fafc;color:#334155",
        "link": "color:#1d4ed8;text-decoration:underline",
        "action": _BUTTON,
    }
)


class _DressedRenderer(RendererHTML):
    """markdown-it's HTML renderer, adding the classes or styles of `env["style"]` and safe
    link attributes. One instance serves every call (building one costs more than a short
    message): what a call needs travels in `env`."""

    def renderToken(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[idx]
        if token.type == "link_close" and not env["links"].pop():
            return ""
        if token.nesting != 1:
            return super().renderToken(tokens, idx, options, env)
        if token.type == "link_open":
            extra = self._link_attrs(token, tokens, env)
            env["links"].append(extra is not None)
            if extra is None:  # a refused target: its text stays, without a link
                return ""
        else:
            extra = env["style"].attrs(token.tag)
        if not extra:
            return super().renderToken(tokens, idx, options, env)
        saved = token.attrs
        token.attrs = {**saved, **extra}
        try:
            return super().renderToken(tokens, idx, options, env)
        finally:
            token.attrs = saved  # the tokens may be rendered again for another channel

    @staticmethod
    def _link_attrs(token: Token, siblings: Sequence[Token], env: EnvType) -> dict[str, str] | None:
        href = safe_href(str(token.attrGet("href") or ""))
        if href is None:
            return None
        # Once per paragraph, not per link: a paragraph of thousands of links stays linear.
        known = env["standalone"]
        if id(siblings) not in known:
            known[id(siblings)] = _standalone(siblings)
        kind = "action" if known[id(siblings)] else "link"
        attrs = {"href": href, **env["style"].attrs(kind)}
        if is_external(href, env["site"]):
            attrs["rel"] = "noopener noreferrer"
            attrs["target"] = "_blank"
        return attrs


_HTML_RENDERER = _DressedRenderer()


def to_html(
    markdown: str | Sequence[Token], style: HtmlStyle = INBOX_STYLE, *, site: str | None = None
) -> str:
    """Sanitised HTML of a message. `site` (scheme://host:port) is where the HTML is shown:
    links to it are not external."""
    tokens = parse(markdown) if isinstance(markdown, str) else markdown
    env: dict[str, Any] = {"style": style, "site": site, "links": [], "standalone": {}}
    raw = _HTML_RENDERER.render(tokens, _PARSER.options, env)
    return style.cleaner.clean(raw)


def _cleaner(style: HtmlStyle) -> nh3.Cleaner:
    classes = {
        tag: set(" ".join(v for k, v in style.classes.items() if _tag_of(k) == tag).split())
        for tag in {_tag_of(k) for k in style.classes}
    }
    attributes: dict[str, set[str]] = {"a": {"href", "rel"}}
    for name in style.styles:
        attributes.setdefault(_tag_of(name), set()).add("style")
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes=attributes,
        tag_attribute_values={"a": {"target": {"_blank"}}},
        url_schemes=set(SAFE_SCHEMES),
        link_rel=None,  # set per link above: only links that leave the site need it
        allowed_classes=classes or None,
        filter_style_properties=set(STYLED_PROPERTIES) if style.styles else None,
        strip_comments=True,
    )


def _tag_of(name: str) -> str:
    return "a" if name in ("link", "action") else name


# --- plain text ------------------------------------------------------------------------------


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
            close = _closing(tokens, i) if token.nesting == 1 else i
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
            close = _closing(tokens, i)
            marker = f"{number}. " if ordered else self.bullet
            body = "\n".join(self._blocks(tokens, i + 1, close))
            lines = body.splitlines() or [""]
            pad = " " * len(marker)
            items.append("\n".join([marker + lines[0], *(pad + line for line in lines[1:])]))
            number += 1
            i = close + 1
        return "\n".join(items)

    def inline(self, children: Sequence[Token]) -> str:
        standalone = _standalone(children)
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
                (parts if label is None else label).append(_inline_text(child))
        return "".join(parts).strip()


def _inline_text(token: Token) -> str:
    if token.type in ("text", "code_inline"):
        return token.content
    if token.type in ("softbreak", "hardbreak"):
        return "\n"
    return ""  # emphasis markers and the like carry no text


def _closing(tokens: Sequence[Token], start: int) -> int:
    """Index of the token closing the block opened at `start`."""
    depth = 0
    for i in range(start, len(tokens)):
        depth += tokens[i].nesting
        if depth == 0:
            return i
    return len(tokens) - 1


# --- robot dialects --------------------------------------------------------------------------


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
            close = _closing(tokens, i) if token.nesting == 1 else i
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
            close = _closing(tokens, i)
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
                target.append(robot_literal(_inline_text(child)))
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
