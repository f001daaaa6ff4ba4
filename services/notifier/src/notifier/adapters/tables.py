"""The notifier's own tables, on its own MetaData (never the process-wide SQLModel one)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from duban_common.db import UtcDateTime
from duban_common.inbox import inbox_table
from duban_common.outbox import outbox_table

metadata = MetaData()

outbox = outbox_table(metadata, "notifier_outbox")
inbox = inbox_table(metadata, "notifier_inbox")

# The recipient directory, kept from directory events.
departments = Table(
    "departments",
    metadata,
    Column("department_id", String(64), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("display_name", String(500), nullable=False),
    Column("role", String(32), nullable=False),
    Column("department_id", String(64), nullable=True),
    Column("email", String(254), nullable=True),
    Column("wecom_webhook", String(500), nullable=True),
    Column("dingtalk_webhook", String(500), nullable=True),
    Column("channels", String(100), nullable=False),  # comma-separated Channel values
    Column("active", Boolean, nullable=False, default=True),
    # An overseer's plans, comma-separated (plan ids never hold a comma); empty: every plan.
    Column("plan_ids", Text, nullable=False, server_default=""),
    Index("ix_users_role_department", "role", "department_id"),
)

# Task titles from TaskRegistered, for events that carry only the task id.
tasks = Table(
    "tasks",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("plan_id", String(64), nullable=True),
)

# One message to one recipient on one channel: a single notice, or a digest of reminders.
deliveries = Table(
    "deliveries",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("recipient_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
    Index("ix_deliveries_collecting", "recipient_id", "channel", "status"),
)

# What a delivery says: one row per (source event, recipient, channel), deduped by its key.
delivery_items = Table(
    "delivery_items",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column(
        "notification_id",
        String(36),
        ForeignKey("deliveries.notification_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("dedupe_key", String(64), nullable=False, unique=True),
    Column("source_event_id", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("task_id", String(64), nullable=True),
    Column("facts", JSON, nullable=False),
    # Trace context of the event that asked for it: the delivery continues that trace.
    Column("traceparent", String(55), nullable=True),
)

# 送达记录: every attempt, whatever its result.
dispatch_records = Table(
    "dispatch_records",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("notification_id", String(36), nullable=False, index=True),
    Column("recipient_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("error", Text, nullable=True),
    Column("final", Boolean, nullable=False),
)

# Final failures waiting to be published to duban.deadletter (written with the failure).
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", String(200), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Index("ix_dead_letters_unpublished", "published_at", "id"),
)

# The robots' shared rate limit (adapters/robot_limits.py): one row per send slot of a robot,
# `limit` slots each, every notifier process taking the slot that was used longest ago.
robot_slots = Table(
    "robot_slots",
    metadata,
    Column("robot_key", String(64), primary_key=True),  # sha256 of the robot's URL
    Column("slot", Integer, primary_key=True),
    Column("used_at", UtcDateTime(), nullable=False),
)
