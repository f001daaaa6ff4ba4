"""Milestones (时间节点) as intermediate deadlines: the milestones of each task and the
milestone a timer belongs to.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from duban_common.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "milestones",
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.Column("escalation_level", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("task_id", "key"),
    )
    with op.batch_alter_table("timers") as batch:
        batch.add_column(sa.Column("milestone", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timers") as batch:
        batch.drop_column("milestone")
    op.drop_table("milestones")
