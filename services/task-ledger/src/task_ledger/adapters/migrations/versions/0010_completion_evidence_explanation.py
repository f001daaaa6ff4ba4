"""Completion requests carry a 说明 (explanation) when progress is below 100%. Their evidence
files are attachment rows owned by the request (attachment.report_id holds the request id), and
a withdrawn extension request is marked in its decision column: neither needs a schema change.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("completion_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("explanation", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("completion_request", schema=None) as batch_op:
        batch_op.drop_column("explanation")
