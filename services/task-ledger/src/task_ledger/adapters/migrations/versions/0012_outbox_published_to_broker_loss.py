"""The outbox records which broker (cluster id) each row went to, so a relay facing another
broker republishes the rows of its retention window (duban_common.outbox: "Broker loss").
Rows published before this revision have none: they are republished once, and consumers drop
them by their inbox.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from duban_common.outbox import add_published_to_column, drop_published_to_column

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_published_to_column("outbox")


def downgrade() -> None:
    drop_published_to_column("outbox")
