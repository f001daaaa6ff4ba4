"""Milestones (时间节点) of a task as the light sees them: a dated milestone not declared done
by its day turns the task red, with the reason (docs/indicators.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from duban_contracts.vocabulary import Light
from task_ledger.domain.errors import DomainError

# How much of a milestone's sentence the light's reason quotes.
_QUOTED = 30


def milestone_key(position: int) -> str:
    """Keys follow the measure's order of milestones (ms-1, ms-2, …)."""
    return f"ms-{position + 1}"


def keyed(milestones: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A measure's stored milestones ({"due", "text"}) with their keys; undated ones are not
    deadlines and dropped ones are gone: both are left out (their keys stay unused)."""
    return [
        {"key": milestone_key(i), "due_on": date.fromisoformat(m["due"]), "text": m["text"]}
        for i, m in enumerate(milestones)
        if m.get("due") and not m.get("dropped")
    ]


# (key or None for a new one, due date, text)
Wanted = tuple[str | None, date, str]


def edited(stored: list[dict[str, Any]], wanted: list[Wanted]) -> list[dict[str, Any]]:
    """The measure's milestones after a supervisor's edit: `wanted` is the whole new set. A
    known key keeps its place (and so its key) with the new date and text, a key left out is
    marked dropped (never removed: the keys of the others and of those added later must not
    shift), a new one is appended. The same edit twice changes nothing the second time: a new
    one identical to a milestone not named by key is that milestone."""
    current = keyed(stored)
    known = {m["key"] for m in current}
    wanted = _matched(current, wanted)
    keys = [key for key, _, _ in wanted if key is not None]
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise DomainError(f"任务没有这些时间节点：{'、'.join(unknown)}")
    if len(set(keys)) != len(keys):
        raise DomainError("同一时间节点不能出现两次")
    for _, due, text in wanted:
        if not text.strip():
            raise DomainError("时间节点须写明要完成的事项")
        if not 2000 <= due.year <= 2100:
            raise DomainError(f"时间节点日期不合理：{due.isoformat()}")
    given = {key: (due, text) for key, due, text in wanted if key is not None}
    out = []
    for i, m in enumerate(stored):
        key = milestone_key(i)
        if key in given:
            due, text = given[key]
            m = {**m, "due": due.isoformat(), "text": text}
        elif key in known:
            m = {**m, "dropped": True}
        out.append(m)
    out += [{"due": due.isoformat(), "text": text} for key, due, text in wanted if key is None]
    return out


@dataclass(frozen=True)
class MilestoneDue:
    key: str
    due_on: date
    text: str
    done: bool = False

    def overdue(self, today: date) -> bool:
        return not self.done and today > self.due_on

    def assess(self, today: date) -> tuple[Light, str | None]:
        if not self.overdue(today):
            return Light.GREEN, None
        quoted = self.text if len(self.text) <= _QUOTED else self.text[:_QUOTED] + "…"
        return Light.RED, f"时间节点 {self.due_on.isoformat()} 逾期未完成：{quoted}"


def milestones_due(
    stored: Iterable[dict[str, Any]], done: Iterable[str]
) -> tuple[MilestoneDue, ...]:
    closed = set(done)
    return tuple(
        MilestoneDue(m["key"], m["due_on"], m["text"], m["key"] in closed) for m in keyed(stored)
    )


def _matched(current: list[dict[str, Any]], wanted: list[Wanted]) -> list[Wanted]:
    named = {key for key, _, _ in wanted if key is not None}
    free = {(m["due_on"], m["text"]): m["key"] for m in current if m["key"] not in named}
    out: list[Wanted] = []
    for key, due, text in wanted:
        if key is None and (due, text) in free:
            key = free.pop((due, text))
        out.append((key, due, text))
    return out
