"""roster_entries' USCC index becomes (uscc, id): a USCC-prefix search pages in the index's order on
PostgreSQL too (a prefix held by the whole board, "91", sorted 100,000 rows: 170 ms). SQLite's index
already ended with the rowid; it is rebuilt the same way so both databases match the model.

Revision ID: 0021
Revises: 0020
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_roster_entries_uscc", table_name="roster_entries")
    op.create_index("ix_roster_entries_uscc", "roster_entries", ["uscc", "id"])


def downgrade() -> None:
    op.drop_index("ix_roster_entries_uscc", table_name="roster_entries")
    op.create_index("ix_roster_entries_uscc", "roster_entries", ["uscc"])
