"""consultations (线上咨询): an enterprise's question to its district's account managers and the
thread of messages with the insurer's staff

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("asked_by", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'answered')", name=op.f("ck_consultations_status")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_consultations_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name=op.f("fk_consultations_district_id_districts")),
        sa.ForeignKeyConstraint(["asked_by"], ["users.id"], name=op.f("fk_consultations_asked_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    op.create_index(op.f("ix_consultations_enterprise_id"), "consultations", ["enterprise_id"])
    op.create_index(op.f("ix_consultations_district_id"), "consultations", ["district_id"])
    op.create_index(op.f("ix_consultations_status"), "consultations", ["status"])
    op.create_table(
        "consultation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("from_staff", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_messages_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_consultation_messages_author_id_users")),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_consultation_messages_file_id_stored_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_messages")),
    )
    op.create_index(op.f("ix_consultation_messages_consultation_id"), "consultation_messages", ["consultation_id"])
    op.create_index(op.f("ix_consultation_messages_file_id"), "consultation_messages", ["file_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_consultation_messages_file_id"), table_name="consultation_messages")
    op.drop_index(op.f("ix_consultation_messages_consultation_id"), table_name="consultation_messages")
    op.drop_table("consultation_messages")
    op.drop_index(op.f("ix_consultations_status"), table_name="consultations")
    op.drop_index(op.f("ix_consultations_district_id"), table_name="consultations")
    op.drop_index(op.f("ix_consultations_enterprise_id"), table_name="consultations")
    op.drop_table("consultations")
