"""import job heartbeat: when a web import last showed signs of life, so one whose worker died
(a restart, a deploy) is reported as interrupted instead of polling forever

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import intranet.coltypes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("heartbeat_at", intranet.coltypes.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("heartbeat_at")
