"""Overseers' plan scopes and the plan of each task, so escalations reach the right people.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("plan_ids", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("plan_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("plan_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("plan_ids")
