"""Heading tree (一、/（一）/1./（1）) and the paragraphs that belong to each heading."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .responsibility import (
    ClauseRules,
    Responsibility,
    find_clauses,
    parse_line,
    split_inline,
    split_leading,
)
from .text_lines import Line

_SENTENCE_END = set("。！？；：!?;:”’）)〕】」』")
# A heading line without 。 and at most this long is a title; the body starts on a new line.
_TITLE_ONLY = 40


@dataclass(slots=True)
class Node:
    level: int
    label: str
    path: tuple[str, ...]
    heading: str
    # Each paragraph is a list of line fragments, joined once at the end (no quadratic +=).
    parts: list[list[str]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    closed: bool = True
    resp: Responsibility = field(default_factory=Responsibility)
    text: str = ""
    title: str = ""
    # Clause-like text (a bracket naming 牵头/责任单位…) that could not be read.
    unread: list[str] = field(default_factory=list)
    inherited: bool = False

    def add_text(self, s: str) -> None:
        if self.parts and not self.closed and self.parts[-1][-1][-1] not in _SENTENCE_END:
            self.parts[-1].append(s)  # a page break in mid-sentence
        else:
            self.parts.append([s])
        self.closed = False

    @property
    def paragraphs(self) -> list[str]:
        return ["".join(p) for p in self.parts]

    @property
    def has_body(self) -> bool:
        return any("。" in fragment for p in self.parts for fragment in p)


def build_tree(lines: list[Line]) -> list[Node]:
    root = Node(-1, "", (), "")
    stack = [root]
    for line in lines:
        if line.kind == "heading":
            while len(stack) > 1 and stack[-1].level >= line.level:
                stack.pop()
            parent = stack[-1]
            key = line.label.rstrip("、") if line.level == 1 else line.label
            node = Node(line.level, line.label, (*parent.path, key), line.rest.strip())
            if node.heading:
                node.parts.append([node.heading])
                node.closed = "。" not in node.heading and len(node.heading) <= _TITLE_ONLY
            parent.children.append(node)
            stack.append(node)
        elif line.kind in ("text", "attachlist") and len(stack) > 1:
            stack[-1].add_text(line.text)
        elif line.kind == "org" and len(stack) > 1 and " " not in line.text:
            # One name alone may be part of a clause broken by a page; rows of names are a grid.
            stack[-1].add_text(line.text)
    return root.children


def _strip_spans(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return "".join(out)


def analyse(node: Node, rules: ClauseRules) -> None:
    """Fill responsibility, text and title of ``node`` and its subtree, in document order."""
    remaining: list[str] = []
    for paragraph in node.paragraphs:
        standalone = parse_line(paragraph, rules)
        if standalone is not None:
            node.resp.merge(standalone)
            continue
        paragraph, inline = split_inline(paragraph, rules)
        if inline is not None:
            node.resp.merge(inline)
        if not node.resp:
            paragraph, leading = split_leading(paragraph, rules)
            if leading is not None:
                node.resp.merge(leading)
        remaining.append(paragraph)
    # Clauses are looked for across paragraphs: a page break may fall inside one.
    joined = "\n".join(remaining)
    found, spans = find_clauses(joined, rules)
    node.resp.merge(found)
    kept = [p.strip() for p in _strip_spans(joined, spans).split("\n") if p.strip()]
    node.text = "\n".join(kept)
    # The heading line is the first paragraph, so the title is the text up to the first 。.
    first = kept[0] if kept else ""
    node.title = first.split("。", 1)[0].strip(" ：:，,；;")
    for child in node.children:
        analyse(child, rules)
    _lift_sub_points(node)


def _lift_sub_points(node: Node) -> None:
    """A measure with sub-points whose only clause closes the last sub-point owns that clause.

    ``1. 做好X。（1）…（2）…（A、B负责）`` is one measure of A and B, not two measures.
    """
    if not node.children or node.resp or not node.has_body:
        return
    with_resp = [c for c in node.children if c.resp or c.children]
    if with_resp != [node.children[-1]] or node.children[-1].children:
        return
    node.resp = node.children[-1].resp
    parts = [node.text] + [f"{c.label}{c.text}" for c in node.children]
    node.text = "\n".join(p for p in parts if p)
    node.children = []


def leaves(nodes: list[Node]) -> Iterator[Node]:
    """Measures in document order; each takes its own clause, else its section's, else the
    clause a 下同 note carries forward (until the next clause of any measure)."""
    carried: list[Responsibility | None] = [None]
    yield from _leaves(nodes, None, carried)


def _leaves(
    nodes: list[Node], inherited: Responsibility | None, carried: list[Responsibility | None]
) -> Iterator[Node]:
    for node in nodes:
        if node.resp:
            carried[0] = node.resp if node.resp.carry else None
        if node.children:
            yield from _leaves(node.children, node.resp if node.resp else inherited, carried)
        else:
            if not node.resp:
                source = inherited or carried[0]
                if source is not None:
                    node.resp = source
                    node.inherited = True
            yield node
