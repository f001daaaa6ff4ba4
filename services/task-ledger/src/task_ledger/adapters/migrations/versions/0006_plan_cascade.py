"""Plan cascade (issue 24): the superior plan a plan implements, and which superior measures
each of its measures takes up (proposed, confirmed or rejected, by whom and when).

Revision ID: 0006
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_link",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("superior_plan_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("confirmed_by", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_index("ix_plan_link_superior_plan_id", "plan_link", ["superior_plan_id"])
    op.create_table(
        "measure_link",
        sa.Column("measure_id", sa.String(length=64), nullable=False),
        sa.Column("superior_measure_id", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("superior_plan_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("measure_id", "superior_measure_id"),
    )
    op.create_index("ix_measure_link_superior_measure_id", "measure_link", ["superior_measure_id"])
    op.create_index("ix_measure_link_plan_id", "measure_link", ["plan_id"])
    op.create_index("ix_measure_link_superior_plan_id", "measure_link", ["superior_plan_id"])


def downgrade() -> None:
    op.drop_table("measure_link")
    op.drop_table("plan_link")
