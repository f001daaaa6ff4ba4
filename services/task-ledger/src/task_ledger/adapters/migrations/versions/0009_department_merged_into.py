"""Departments merged into another (a duplicate retired by an administrator) keep their row,
with the department they went into, so old records still name them. Users get the WeCom or
DingTalk id a liaison list brings (企业微信/钉钉 ID).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("department") as batch:
        batch.add_column(sa.Column("merged_into", sa.String(length=64), nullable=True))
    with op.batch_alter_table("ledger_user") as batch:
        batch.add_column(sa.Column("im_id", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_user") as batch:
        batch.drop_column("im_id")
    with op.batch_alter_table("department") as batch:
        batch.drop_column("merged_into")
