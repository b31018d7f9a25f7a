"""api_tokens.scopes and .expires_at: what a token may do and until when (issue 12)

Tokens made before keep every scope and no expiry (an integration in service must not stop).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ALL_SCOPES = "enterprises:read policies:claim losses:write credit-reports:write notices:read"


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(200), nullable=False, server_default=ALL_SCOPES))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")
