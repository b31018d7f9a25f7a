"""used_confirmations: the nonce of every confirmation step that ran its action (a token is good once);
import_jobs.over_threshold: the rows above the threshold a check found, listed on the report

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_confirmations",
        sa.Column("nonce", sa.String(32), primary_key=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_used_confirmations_used_at", "used_confirmations", ["used_at"])
    with op.batch_alter_table("import_jobs") as batch_op:
        batch_op.add_column(sa.Column("over_threshold", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch_op:
        batch_op.drop_column("over_threshold")
    op.drop_index("ix_used_confirmations_used_at", table_name="used_confirmations")
    op.drop_table("used_confirmations")
