"""Store each comparison once computed: comparisons.result and comparisons.error.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two nullable columns (comparisons made before are computed on next read)."""
    op.add_column("comparisons", sa.Column("result", sa.JSON(), nullable=True))
    op.add_column("comparisons", sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("comparisons") as batch:
        batch.drop_column("error")
        batch.drop_column("result")
