"""Indicator conflicts decided on a plan after import: which statement a person chose when a
plan states one indicator differently in two places, or differently from its superior plan.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_conflict_decision",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("conflict_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=400), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "conflict_id"),
    )


def downgrade() -> None:
    op.drop_table("indicator_conflict_decision")
