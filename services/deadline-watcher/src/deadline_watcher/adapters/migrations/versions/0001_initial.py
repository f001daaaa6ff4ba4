"""The watcher's initial schema: tasks, timers, monthly reports, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from duban_common.db import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "id"])
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("lead_department_ids", sa.JSON, nullable=False),
        sa.Column("supporting_department_ids", sa.JSON, nullable=False),
        sa.Column("due_on", sa.Date, nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("escalation_level", sa.String(16), nullable=True),
        sa.Column("red_check_on", sa.Date, nullable=True),
        sa.Column("orange_raised_at", UtcDateTime, nullable=True),
        sa.Column("last_activity_at", UtcDateTime, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "timers",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=True),
        sa.Column("department_id", sa.String(64), nullable=True),
        sa.Column("period", sa.String(7), nullable=True),
        sa.Column("due_on", sa.Date, nullable=True),
        sa.Column("step", sa.Integer, nullable=True),
        sa.Column("fire_at", UtcDateTime, nullable=False),
        sa.Column("fired_at", UtcDateTime, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
    )
    op.create_index("ix_timers_task_id", "timers", ["task_id"])
    op.create_index(
        "ix_timers_pending_fire_at",
        "timers",
        ["fire_at"],
        postgresql_where=sa.text("fired_at IS NULL"),
        sqlite_where=sa.text("fired_at IS NULL"),
    )
    op.create_table(
        "progress_reports",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("department_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("reported_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "report_requests",
        sa.Column("department_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("report_due_on", sa.Date, nullable=False),
        sa.Column("task_ids", sa.JSON, nullable=False),
        sa.Column("requested_at", UtcDateTime, nullable=False),
        sa.Column("missed", sa.Boolean, nullable=True),
        sa.Column("consecutive_misses", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    for table in ("report_requests", "progress_reports", "timers", "tasks", "inbox", "outbox"):
        op.drop_table(table)
