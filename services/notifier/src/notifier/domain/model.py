"""What the notifier knows: recipients, the notices events turn into, and delivery states."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from duban_contracts.vocabulary import Channel, Role


class Kind(StrEnum):
    """The kinds of message; channels are configured per kind."""

    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    REPORT_REQUESTED = "report_requested"
    REPORT_MISSING = "report_missing"
    NOTICE_ISSUED = "notice_issued"
    NOTICE_ANSWERED = "notice_answered"
    MANUAL = "manual"
    DECISION = "decision"  # 退回 / 同意办结 / 同意延期 / 不同意延期 / 销号, to who asked
    REQUEST = "request"  # a new completion or extension request, to the supervisors
    DISPATCHED = "dispatched"  # a task dispatched (交办) or decomposed to a department


# Reminders are collected per recipient and channel and sent as one digest.
DIGESTED_KINDS = frozenset({Kind.REMINDER, Kind.OVERDUE})


class DeliveryStatus(StrEnum):
    COLLECTING = "collecting"  # a digest still accepting reminders until its window closes
    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"
    FAILED = "failed"  # gave up: dead-lettered and NotificationFailed(final=True) published


@dataclass(frozen=True)
class Recipient:
    user_id: str
    display_name: str
    role: Role
    department_id: str | None = None
    email: str | None = None
    wecom_webhook: str | None = None
    dingtalk_webhook: str | None = None
    channels: tuple[Channel, ...] = (Channel.INBOX,)
    active: bool = True
    plan_ids: tuple[str, ...] = ()  # an overseer's plan scope; empty: every plan

    def address(self, channel: Channel) -> str | None:
        """Where this channel reaches the person; the inbox needs no address."""
        return {
            Channel.EMAIL: self.email,
            Channel.WECOM: self.wecom_webhook,
            Channel.DINGTALK: self.dingtalk_webhook,
            Channel.INBOX: self.user_id,
        }[channel]


@dataclass(frozen=True)
class Audience:
    """Department-scoped roles (liaison, head) for these departments, plus global roles.

    Global roles (supervisors, leadership) may oversee only some plans: they are reached for
    notices about a plan in their scope, and for notices about no plan only if unscoped.
    """

    departments: tuple[str, ...] = ()
    department_roles: frozenset[Role] = frozenset()
    global_roles: frozenset[Role] = frozenset()
    plan_id: str | None = None

    def includes(self, person: Recipient) -> bool:
        if not person.active:
            return False
        if person.role in self.department_roles and person.department_id in self.departments:
            return True
        return person.role in self.global_roles and self.oversees(person)

    def oversees(self, person: Recipient) -> bool:
        """Whether a global-role person's plan scope covers this notice."""
        return not person.plan_ids or (self.plan_id is not None and self.plan_id in person.plan_ids)

    def __or__(self, other: Audience) -> Audience:
        if other.departments and self.departments and other.departments != self.departments:
            raise ValueError("cannot merge audiences for different departments")
        return Audience(
            departments=self.departments or other.departments,
            department_roles=self.department_roles | other.department_roles,
            global_roles=self.global_roles | other.global_roles,
            plan_id=self.plan_id or other.plan_id,
        )


@dataclass(frozen=True)
class Notice:
    """What one inbound event asks the notifier to tell people.

    `source_key` identifies the fact (the watcher's natural dedupe key when there is one, else
    the event id), so a re-emitted event dedupes like a redelivered one. `facts` are the
    template variables; they are stored with the delivery and rendered when it is sent.
    """

    kind: Kind
    source_key: str
    source_event_id: str
    audience: Audience
    task_id: str | None
    facts: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False
    # Collected into the recipient's digest whatever its kind: an escalation reaches the
    # supervisors as one message per digest window, listing the tasks by light.
    collect: bool = False

    @property
    def digested(self) -> bool:
        return self.collect or (self.kind in DIGESTED_KINDS and not self.urgent)


def liaisons(departments: tuple[str, ...]) -> Audience:
    """The liaisons (联络员) of these departments."""
    return Audience(departments=departments, department_roles=frozenset({Role.LIAISON}))


def to_overseers_for_unstaffed(notice: Notice, department_names: tuple[str, ...]) -> Notice:
    """A notice for departments nobody is liaison of (a collective group such as
    各县（市、区）人民政府 not yet split into its members, or a unit still unstaffed) goes to the
    plan's supervisors instead of into the void, saying why (`unstaffed_departments`)."""
    audience = Audience(
        global_roles=notice.audience.global_roles | {Role.SUPERVISOR},
        plan_id=notice.audience.plan_id,
    )
    facts = {**notice.facts, "unstaffed_departments": "、".join(department_names)}
    return replace(notice, audience=audience, facts=facts)
