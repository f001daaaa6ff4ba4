"""Milestones (时间节点) of a task as the light sees them: a dated milestone not declared done
by its day turns the task red, with the reason (docs/indicators.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from duban_contracts.vocabulary import Light

# How much of a milestone's sentence the light's reason quotes.
_QUOTED = 30


def milestone_key(position: int) -> str:
    """Keys follow the measure's order of milestones (ms-1, ms-2, …)."""
    return f"ms-{position + 1}"


def keyed(milestones: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A measure's stored milestones ({"due", "text"}) with their keys; undated ones are not
    deadlines and are left out (their keys stay unused)."""
    return [
        {"key": milestone_key(i), "due_on": date.fromisoformat(m["due"]), "text": m["text"]}
        for i, m in enumerate(milestones)
        if m.get("due")
    ]


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
