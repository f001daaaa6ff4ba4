"""The outbox keeps each event's trace context in a column of its own, so the relay reads it
without parsing the body. Rows written before this revision have none (published untraced).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifier_outbox") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifier_outbox") as batch:
        batch.drop_column("traceparent")
