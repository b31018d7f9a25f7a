"""dashboard indexes: covering indexes for the bureau and insurer dashboards' GROUP BYs

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # listed entries per district / per roster, and those entries joined to their policies: an
    # index-only range scan of one programme's entries
    op.create_index(
        "ix_roster_entries_dash_district",
        "roster_entries",
        ["programme_id", "status", "eligible", "district_id", "roster_id", "enterprise_id"],
    )
    # issuance queue by age, policies by status, claims per week
    op.create_index("ix_policies_dash_status_claimed", "policies", ["programme_id", "status", "claimed_at"])


def downgrade():
    op.drop_index("ix_policies_dash_status_claimed", table_name="policies")
    op.drop_index("ix_roster_entries_dash_district", table_name="roster_entries")
