"""The watcher's own tables (its own MetaData: nothing here is shared with other services)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from duban_common.db import UtcDateTime
from duban_common.inbox import inbox_table
from duban_common.outbox import outbox_table

metadata = MetaData()

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

# What the watcher knows about each task, from the ledger's events.
tasks = Table(
    "tasks",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("plan_id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("lead_department_ids", JSON, nullable=False),
    Column("supporting_department_ids", JSON, nullable=False),
    Column("due_on", Date, nullable=True),
    Column("status", String(32), nullable=False),
    # The highest escalation level raised for the current due date; when 橙 was raised and
    # the day 红 follows if it is ignored.
    Column("escalation_level", String(16), nullable=True),
    Column("red_check_on", Date, nullable=True),
    Column("orange_raised_at", UtcDateTime, nullable=True),
    # Last progress report or supervision-notice answer: an 橙 followed by one is not ignored.
    Column("last_activity_at", UtcDateTime, nullable=True),
    # Trace context of the last change to the task: its timers' events continue that trace.
    Column("traceparent", String(55), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One row per dedupe key, kept after firing so nothing is ever said twice.
timers = Table(
    "timers",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("task_id", String(64), nullable=True, index=True),
    Column("department_id", String(64), nullable=True),
    Column("period", String(7), nullable=True),
    Column("due_on", Date, nullable=True),
    Column("step", Integer, nullable=True),
    # The milestone (时间节点) key when the deadline is one of the task's milestones.
    Column("milestone", String(64), nullable=True),
    Column("fire_at", UtcDateTime, nullable=False),
    Column("fired_at", UtcDateTime, nullable=True),
    # sent: its event is in the outbox; skipped: no longer applied when it came due;
    # failed: could not be turned into an event (logged).
    Column("outcome", String(16), nullable=True),
    # Only pending timers are indexed by due time: the scheduler never scans fired ones.
    Index(
        "ix_timers_pending_fire_at",
        "fire_at",
        postgresql_where=text("fired_at IS NULL"),
        sqlite_where=text("fired_at IS NULL"),
    ),
)

# Progress reports per task, department and period (月度调度: who has reported).
progress_reports = Table(
    "progress_reports",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("department_id", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("reported_at", UtcDateTime, nullable=False),
)

# One monthly report request per department and period, and whether it was missed.
report_requests = Table(
    "report_requests",
    metadata,
    Column("department_id", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("report_due_on", Date, nullable=False),
    Column("task_ids", JSON, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("missed", Boolean, nullable=True),  # None until checked
    Column("consecutive_misses", Integer, nullable=False, server_default="0"),
)

# The milestones (时间节点) of each task: intermediate deadlines with their own ladder, until a
# progress report says one is done.
milestones = Table(
    "milestones",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("due_on", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("done_at", UtcDateTime, nullable=True),
    Column("escalation_level", String(16), nullable=True),
)
