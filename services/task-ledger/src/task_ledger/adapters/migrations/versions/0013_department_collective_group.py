"""Collective parties (各县（市、区）人民政府, 各有关部门) are stored as departments marked
collective: a group whose level is its members' level, never staffed and never ranked.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("department") as batch:
        batch.add_column(
            sa.Column("collective", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("department") as batch:
        batch.drop_column("collective")
