"""Parsing a message's Markdown (CommonMark without raw HTML and the rest a message never
needs), escaping text into Markdown and checking link targets: what every renderer shares."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

SAFE_SCHEMES = frozenset({"http", "https"})


# CommonMark without what a message never needs: raw HTML, images, link reference
# definitions, setext headings, indented and fenced code, entities. Less to parse (a third
# faster) and less to sanitise. The preset caps nesting at 20 levels (`>>>>…` stays cheap).
PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
PARSER.disable(
    ["html_block", "html_inline", "image", "reference", "lheading", "code", "fence", "entity"]
)
# Messages are a few kB (the inbox keeps 20,000 characters); parsing is linear but not free.
MAX_CHARS = 50_000
# A parsed message: what `parse` returns and every renderer below accepts (callers need not
# import the Markdown library to name it).
Parsed = list[Token]


def parse(markdown: str) -> list[Token]:
    """The token stream of a message, to render it for several channels from one parse."""
    return PARSER.parse(markdown[:MAX_CHARS])


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


def links_only(children: Sequence[Token]) -> bool:
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
