"""Heading tree (一、/（一）/1./（1）) and the paragraphs that belong to each heading."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .responsibility import (
    KEY,
    ClauseRules,
    Responsibility,
    find_clauses,
    only_notes,
    parse_line,
    split_inline,
    split_leading,
)
from .text_lines import CLOSERS, OPENERS, Line

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
    clauses: int = 0  # clauses found in this node's own text

    def add_text(self, s: str) -> None:
        if (
            self.parts
            and not self.closed
            and self.parts[-1][-1][-1] not in _SENTENCE_END
            and not KEY.match(s)  # 牵头单位：… opens a line of its own
            and not KEY.match(self.parts[-1][0])  # and nothing continues it
        ):
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


def sections(lines: Iterable[Line]) -> Iterator[Node]:
    """The top-level items of the heading tree, each handed out as soon as it is complete (at
    the next top-level heading or the end): a caller that analyses and lets go of each one in
    turn never holds the whole tree (see ``parser._document``)."""
    root = Node(-1, "", (), "")
    stack = [root]
    for line in lines:
        if line.kind == "heading":
            while len(stack) > 1 and stack[-1].level >= line.level:
                stack.pop()
            parent = stack[-1]
            if parent is root and root.children:
                yield root.children.pop()  # nothing is ever added to it again
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
    yield from root.children


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
    if not node.children:
        _split_enumerated(node, rules)
    if not node.children:
        _split_paragraphs(node, rules)
    remaining: list[str] = []
    previous_standalone = False
    for paragraph in node.paragraphs:
        standalone = parse_line(paragraph, rules)
        if standalone is not None:
            node.resp.merge(standalone)
            # 牵头单位：… / 责任单位：… / 完成时限：… on consecutive lines are one clause.
            node.clauses += not previous_standalone
            previous_standalone = True
            continue
        previous_standalone = False
        paragraph, inline = split_inline(paragraph, rules)
        if inline is not None:
            node.resp.merge(inline)
            node.clauses += 1
        remaining.append(paragraph)
    # Clauses are looked for across paragraphs: a page break may fall inside one.
    joined = "\n".join(remaining)
    found, spans = find_clauses(joined, rules, node.unread)
    if not node.resp and not found:
        # Only without any other clause: 由…负责，A牵头，B配合，开展… opening a paragraph.
        for index, paragraph in enumerate(remaining):
            stripped, leading = split_leading(paragraph, rules)
            if leading is not None:
                node.resp.merge(leading)
                node.clauses += 1
                remaining[index] = stripped
                joined = "\n".join(remaining)
                if spans:  # a bracket with a deadline only: find it again in the new text
                    _, spans = find_clauses(joined, ClauseRules(rules.comma_lead, rules.bare_lists))
                break
    node.resp.merge(found)
    node.clauses += sum(1 for a, b in spans if not only_notes(joined[a + 1 : b - 1]))
    kept = [p.strip() for p in _strip_spans(joined, spans).split("\n") if p.strip()]
    node.text = "\n".join(kept)
    # The heading line is the first paragraph, so the title is the text up to the first 。.
    first = kept[0] if kept else ""
    node.title = first.split("。", 1)[0].strip(" ：:，,；;")
    for child in node.children:
        analyse(child, rules)
    _lift_sub_points(node)


_CN_ORDINAL = "一二三四五六七八九十"
_ENUMERATED = re.compile(
    r"(?:(?<=^)|(?<=[。；;：:！\n]))\s*(?P<m>(?P<cn>[一二三四五六七八九十])是|(?P<circle>[①-⑳])|"
    r"[（(](?P<num>\d{1,2})[）)])"
)


def _ordinal(match: re.Match[str]) -> tuple[str, int]:
    if match.group("cn"):
        return "是", _CN_ORDINAL.index(match.group("cn")) + 1
    if match.group("circle"):
        return "circle", ord(match.group("circle")) - 0x2460 + 1
    return "num", int(match.group("num"))


def _units(paragraphs: list[str], rules: ClauseRules) -> list[list[str]]:
    """Paragraphs with the clause lines that follow them (牵头单位：… on lines of their own)."""
    units: list[list[str]] = []
    for paragraph in paragraphs:
        bare = paragraph.strip()
        bracketed = bare[:1] in OPENERS and bare.rstrip("。")[-1:] in CLOSERS
        probe = ClauseRules(rules.comma_lead, rules.bare_lists)
        if units and (bracketed or parse_line(paragraph, probe)):
            units[-1].append(paragraph)
        else:
            units.append([paragraph])
    return units


def _split_paragraphs(node: Node, rules: ClauseRules) -> None:
    """二、重点任务 / 推进X。（A牵头） / 推进Y。（B牵头）: unnumbered paragraphs that each name
    their own parties under a title-only heading are measures, never one merged measure."""
    paragraphs = node.paragraphs
    if len(paragraphs) < 3 or not node.heading or "。" in node.heading:
        return
    units = _units(paragraphs[1:], rules)
    if len(units) < 2:
        return
    owned = 0
    for unit in units:
        probe = Node(node.level + 1, "", (), "")
        probe.parts = [[p] for p in unit]
        analyse(probe, ClauseRules(rules.comma_lead, rules.bare_lists))
        owned += bool(probe.resp) and not probe.resp.carry
    if owned < 2 or owned < len(units) - 1:
        return  # an introduction without a clause is allowed, nothing else
    node.parts = [[paragraphs[0]]]
    for index, unit in enumerate(units, start=1):
        label = f"第{index}段"
        child = Node(node.level + 1, label, (*node.path, label), unit[0])
        child.parts = [[p] for p in unit]
        node.children.append(child)


def _split_enumerated(node: Node, rules: ClauseRules) -> None:
    """一是……（A牵头）；二是……（B牵头）: inline items that name their own parties are measures.

    Items that share one clause (the last one carries it) stay one measure, like line sub-items.
    """
    joined = "\n".join(node.paragraphs)
    if len(joined) > 20_000 or not _ENUMERATED.search(joined):
        return
    by_kind: dict[str, list[re.Match[str]]] = {}
    for match in _ENUMERATED.finditer(joined):
        kind, number = _ordinal(match)
        run = by_kind.setdefault(kind, [])
        if number == len(run) + 1:
            run.append(match)
    run = max(by_kind.values(), key=len)
    if len(run) < 2:
        return
    probe = ClauseRules(rules.comma_lead, rules.bare_lists)
    owned = 0
    for child in _items(node, joined, run):
        analyse(child, probe)
        owned += bool(child.resp)
    if owned < 2:
        return
    head = joined[: run[0].start()].strip()
    node.parts = [[p] for p in head.split("\n") if p.strip()] or [[node.heading]]
    node.children = _items(node, joined, run)  # analysed afresh, with the document's rules


def _items(node: Node, joined: str, run: list[re.Match[str]]) -> list[Node]:
    children: list[Node] = []
    for i, match in enumerate(run):
        end = run[i + 1].start() if i + 1 < len(run) else len(joined)
        segment = joined[match.end() : end].strip()
        label = match.group("m")
        child = Node(node.level + 1, label, (*node.path, label), segment)
        child.parts = [[p] for p in segment.split("\n") if p.strip()]
        children.append(child)
    return children


def _lift_sub_points(node: Node) -> None:
    """A measure with sub-points whose only clause closes the last sub-point owns that clause.

    ``1. 做好X。（1）…（2）…（A、B负责）`` is one measure of A and B, not two measures.
    """
    if not node.children or node.resp:
        return
    # A title-only parent is a section, unless it is itself a numbered item (1.) whose
    # children are sub-items (（1）, ①, 1)).
    sub_items = node.level >= 3 and all(c.level >= 4 for c in node.children)
    if not node.has_body and not sub_items:
        return
    with_resp = [c for c in node.children if c.resp or c.children]
    if with_resp != [node.children[-1]] or node.children[-1].children:
        return
    node.resp = node.children[-1].resp
    parts = [node.text] + [f"{c.label}{c.text}" for c in node.children]
    node.text = "\n".join(p for p in parts if p)
    node.children = []


def leaves(nodes: Iterable[Node]) -> Iterator[Node]:
    """Measures in document order; each takes its own clause, else its section's, else the
    clause a 下同 note carries forward (until the next clause of any measure)."""
    carried: list[Responsibility | None] = [None]
    yield from _leaves(nodes, None, carried)


def _leaves(
    nodes: Iterable[Node], inherited: Responsibility | None, carried: list[Responsibility | None]
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
