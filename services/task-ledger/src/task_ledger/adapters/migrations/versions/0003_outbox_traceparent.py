"""The outbox keeps each event's trace context in a column of its own, so the relay reads it
without parsing the body. Rows written before this revision have none (published untraced).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from duban_common.outbox import add_traceparent_column, drop_traceparent_column

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_traceparent_column("outbox")


def downgrade() -> None:
    drop_traceparent_column("outbox")
