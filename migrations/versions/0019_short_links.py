"""short_links: `/s/<code>` links in SMS, each expiring with what it points to

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "short_links",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("target", sa.String(1000), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_short_links_expires_at", "short_links", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_short_links_expires_at", table_name="short_links")
    op.drop_table("short_links")
