"""Group the lines of one digest: escalations by light (红, 橙, 蓝), then reminders due
today, due within N working days, overdue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from duban_contracts.vocabulary import EscalationLevel, ReminderKind
from notifier.domain.model import Kind


@dataclass(frozen=True)
class DigestLine:
    kind: Kind
    task_id: str | None
    facts: dict[str, Any]


# The ladder's steps, most serious first: a supervisor's digest reads from the top.
LIGHTS = (EscalationLevel.RED, EscalationLevel.ORANGE, EscalationLevel.BLUE)


@dataclass
class Digest:
    escalated: dict[EscalationLevel, list[DigestLine]] = field(
        default_factory=lambda: {level: [] for level in LIGHTS}
    )
    reports_due: list[DigestLine] = field(default_factory=list)  # monthly 报送, not deadlines
    due_today: list[DigestLine] = field(default_factory=list)
    due_soon: list[DigestLine] = field(default_factory=list)
    overdue: list[DigestLine] = field(default_factory=list)

    @property
    def soon_days(self) -> int:
        """The N in "N个工作日内到期": the furthest reminder in the group."""
        return max(
            (int(line.facts.get("working_days_left", 0)) for line in self.due_soon), default=0
        )

    @property
    def total(self) -> int:
        escalated = sum(len(lines) for lines in self.escalated.values())
        reminders = len(self.due_today) + len(self.due_soon) + len(self.overdue)
        return escalated + len(self.reports_due) + reminders


def build_digest(lines: list[DigestLine]) -> Digest:
    """One line per task and step (the latest wins), sorted by due date within each group."""
    latest: dict[tuple[str, bool], DigestLine] = {}
    for n, line in enumerate(lines):
        task = line.task_id if line.task_id is not None else f"#{n}"
        # A task's escalation and its reminder both stay: they are different steps.
        latest[(task, line.kind is Kind.ESCALATION)] = line
    digest = Digest()
    for line in latest.values():
        digest_group(digest, line).append(line)
    groups = (digest.due_today, digest.due_soon, digest.overdue, digest.reports_due)
    for group in (*digest.escalated.values(), *groups):
        group.sort(key=lambda line: (str(line.facts.get("due_on", "")), str(line.task_id)))
    return digest


def digest_group(digest: Digest, line: DigestLine) -> list[DigestLine]:
    if line.kind is Kind.ESCALATION:
        return digest.escalated[EscalationLevel(line.facts.get("level", "blue"))]
    if line.facts.get("reminder_kind") == ReminderKind.REPORT_DEADLINE.value:
        return digest.reports_due
    if line.kind is Kind.OVERDUE:
        return digest.overdue
    if (
        line.facts.get("reminder_kind") == ReminderKind.DUE_TODAY.value
        or int(line.facts.get("working_days_left", 0)) <= 0
    ):
        return digest.due_today
    return digest.due_soon
