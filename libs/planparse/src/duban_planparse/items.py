"""An analysed item of the heading tree as kept until its measure is made.

A measure's due date may come from any unassigned item of its document (see
``parser._document``), so every item is analysed before the first measure is made. The tree
itself (each node's paragraphs, working lists and clause state) is let go section by section;
what a measure and its warnings need of an item is an `Item`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shared import Shared
from .structure import Node


@dataclass(frozen=True, slots=True)
class Clause:
    """A measure's responsibility as finally read (a `Responsibility` no longer merged into)."""

    parties: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    supporting: tuple[str, ...] = ()
    leaders: tuple[str, ...] = ()
    due_text: str | None = None
    raw: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Item:
    label: str
    path: tuple[str, ...]
    title: str
    text: str
    clause: Clause
    unread: str | None  # the first clause-like bracket that could not be read
    clauses: int  # clauses found in the item's own text

    @classmethod
    def of(cls, node: Node, shared: Shared) -> Item:
        """A leaf of the analysed tree; its clause shared with every equal one."""
        resp = node.resp
        clause = Clause(
            shared(tuple(resp.parties)),
            shared(tuple(resp.lead)),
            shared(tuple(resp.supporting)),
            shared(tuple(resp.leaders)),
            resp.due_text,
            shared(tuple(resp.raw)),
        )
        unread = node.unread[0] if node.unread else None
        return cls(
            node.label, node.path, node.title, node.text, shared(clause), unread, node.clauses
        )
