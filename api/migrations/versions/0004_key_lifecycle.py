"""Key lifecycle: api_keys.scopes, expires_at, last_used_at and revoked_at.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMES = ("expires_at", "last_used_at", "revoked_at")


def upgrade() -> None:
    """Add the columns; existing keys keep what they could do (submit, read), never expire."""
    op.add_column(
        "api_keys",
        sa.Column("scopes", sa.String(64), nullable=False, server_default="submit,read"),
    )
    for column in TIMES:
        op.add_column("api_keys", sa.Column(column, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("api_keys") as batch:
        for column in ("scopes", *TIMES):
            batch.drop_column(column)
