"""Comparisons computed by the workers (status, claim) and per-tenant rate counters.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CLAIM_COLUMNS = ("attempts", "claim_token", "claimed_at", "finished_at")


def upgrade() -> None:
    """Add the claim columns; stored results are done, stored errors failed, the rest pending."""
    op.add_column(
        "comparisons",
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    )
    op.add_column(
        "comparisons", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("comparisons", sa.Column("claim_token", sa.String(32), nullable=True))
    for column in ("claimed_at", "finished_at"):
        op.add_column("comparisons", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_comparisons_status", "comparisons", ["status"])
    op.execute("UPDATE comparisons SET status = 'done' WHERE result IS NOT NULL")
    op.execute("UPDATE comparisons SET status = 'failed' WHERE error IS NOT NULL")
    op.create_table(
        "rate_counters",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.BigInteger(), primary_key=True),
        sa.Column("calls", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    """Drop the table, the index and the columns."""
    op.drop_table("rate_counters")
    op.drop_index("ix_comparisons_status", table_name="comparisons")
    with op.batch_alter_table("comparisons") as batch:
        for column in ("status", *CLAIM_COLUMNS):
            batch.drop_column(column)
