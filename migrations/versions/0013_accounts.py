"""accounts (issue 14): a user's own mobile, an enterprise user's permissions, single-use account codes
(password resets by link or SMS code, confirmation of a new contact e-mail or mobile)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PERMISSIONS = ("can_claim", "can_report_losses", "can_request_credit_reports")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("mobile", sa.String(32), nullable=True))
        for name in PERMISSIONS:  # every existing login keeps doing what it did
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_unique_constraint(batch_op.f("uq_users_mobile"), ["mobile"])
    op.create_table(
        "account_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("target", sa.String(254), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_codes")),
    )
    with op.batch_alter_table("account_codes") as batch_op:
        batch_op.create_index(batch_op.f("ix_account_codes_secret_hash"), ["secret_hash"], unique=False)
        batch_op.create_index("ix_account_codes_user_purpose", ["user_id", "purpose"], unique=False)


def downgrade() -> None:
    op.drop_table("account_codes")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_mobile"), type_="unique")
        for name in reversed(PERMISSIONS):
            batch_op.drop_column(name)
        batch_op.drop_column("mobile")
