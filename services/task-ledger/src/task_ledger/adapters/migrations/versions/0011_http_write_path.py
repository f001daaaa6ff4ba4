"""The HTTP write path (issue #25): the credential epoch, one counter every revocation moves
on, read once a second by each ledger process instead of every request's session row; the
write quota keeps one row per user and kind of write (a new window restarts it) instead of a
row per window deleted later, so counting a write is one statement.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    epoch = op.create_table(
        "credential_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(epoch, [{"id": 1, "value": 0}])
    # Counts live for one window (a minute by default): the table starts again empty.
    op.drop_table("write_quota")
    _write_quota("user_id", "action")


def downgrade() -> None:
    op.drop_table("write_quota")
    _write_quota("user_id", "action", "window_start")
    op.drop_table("credential_epoch")


def _write_quota(*key: str) -> None:
    op.create_table(
        "write_quota",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )
