"""Job leases: jobs.lease_owner and jobs.lease_expires_at.

A running job is held by one server (``lease_owner``) until ``lease_expires_at``; the server
renews the lease while the job runs, and only an expired lease is re-queued. Jobs left running
by an older server have no lease and count as expired.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two columns."""
    op.add_column("jobs", sa.Column("lease_owner", sa.String(32), nullable=True))
    op.add_column("jobs", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
