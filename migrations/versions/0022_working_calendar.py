"""The working calendar and the consultations' reply time as a programme parameter.

`calendar_days` holds the exceptions to "Monday to Friday": public holidays on a weekday (working =
false) and the weekend days worked in their place (调休, working = true), as the State Council
publishes them each year. `programmes.consultation_reply_days`: how many working days a question may
wait before the insurer's staff are alerted (it was the constant 2).

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name_zh", sa.String(length=32), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name="fk_calendar_days_updated_by_users"),
        sa.PrimaryKeyConstraint("day", name="pk_calendar_days"),
    )
    with op.batch_alter_table("programmes") as batch:
        batch.add_column(sa.Column("consultation_reply_days", sa.Integer(), nullable=False, server_default="2"))


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.drop_column("consultation_reply_days")
    op.drop_table("calendar_days")
