"""Per-user write rate limits: counts per user, kind of write and window; the progress of
plan imports confirmed in the background (issue #22).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "write_quota",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "action", "window_start"),
    )
    with op.batch_alter_table("plan_import") as batch:
        batch.add_column(sa.Column("progress_done", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("progress_total", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("job_error", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_import") as batch:
        batch.drop_column("job_error")
        batch.drop_column("progress_total")
        batch.drop_column("progress_done")
    op.drop_table("write_quota")
