"""Indicators: plan targets tracked as numbers on their tasks, the values reported for them, and
the milestones (时间节点) reports declared done.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("qualifier", sa.String(length=10), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("aggregation", sa.String(length=10), nullable=False),
        sa.Column("source_text", sa.String(), nullable=False),
        sa.Column("checkpoints", sa.JSON(), nullable=True),
        sa.Column("dropped", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_indicator_task_id", "indicator", ["task_id"])
    op.create_table(
        "indicator_value",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("indicator_id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_indicator_value_indicator_id", "indicator_value", ["indicator_id"])
    op.create_index("ix_indicator_value_task_id", "indicator_value", ["task_id"])
    op.create_table(
        "milestone_done",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("milestone_done")
    op.drop_index("ix_indicator_value_task_id", table_name="indicator_value")
    op.drop_index("ix_indicator_value_indicator_id", table_name="indicator_value")
    op.drop_table("indicator_value")
    op.drop_index("ix_indicator_task_id", table_name="indicator")
    op.drop_table("indicator")
