"""Background imports resume after a restart: the job holds a lease that it renews with each
batch (another process takes over a lapsed one), and a plan remembers the import that created
it, so a resumed or re-confirmed job goes on with the measures it had not created yet.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_import") as batch:
        batch.add_column(sa.Column("job_lease_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("plan") as batch:
        batch.add_column(sa.Column("import_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("import_id")
    with op.batch_alter_table("plan_import") as batch:
        batch.drop_column("job_lease_until")
