"""Tenants: api_keys, jobs and comparisons get a tenant; existing rows join ``default``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("api_keys", "jobs", "comparisons")


def upgrade() -> None:
    """Add the tenant columns (existing rows: ``default``) and their indexes."""
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("tenant", sa.String(64), nullable=False, server_default="default"),
        )
    op.create_index("ix_api_keys_tenant", "api_keys", ["tenant"])
    op.create_index("ix_jobs_tenant_patient", "jobs", ["tenant", "patient"])


def downgrade() -> None:
    """Drop the indexes and the tenant columns."""
    op.drop_index("ix_jobs_tenant_patient", table_name="jobs")
    op.drop_index("ix_api_keys_tenant", table_name="api_keys")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("tenant")
