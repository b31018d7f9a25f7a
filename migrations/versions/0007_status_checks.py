"""status checks: every status column accepts only its model's values (CHECK constraints)

The values are frozen here, not imported from the models: this migration must build the same
schema in a year's time, whatever the code says then. A new value needs a new migration that
drops and re-adds the constraint (`ck_<table>_<column>`, the metadata's naming convention).
`policies.status` already allows `lapsed` (promised by CONTRACT, set by a later change).

SQLite cannot add a constraint to a table, so batch mode copies each table into a new one
("move and copy"). migrations/env.py runs SQLite migrations with foreign keys off, so dropping
the old table neither cascades (roster_entries.roster_id is ON DELETE CASCADE) nor fails on the
rows that reference it; every reference is checked once at the end, before 0007 commits. Copying roster_entries drops
its search triggers with the old table: they are recreated and the FTS index rebuilt, as 0006 does.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CHECKS = {
    ("policies", "status"): ("claimed", "issued", "revoked", "lapsed"),
    ("rosters", "status"): ("draft", "notice", "confirmed"),
    ("roster_entries", "status"): ("listed", "removed"),
    ("objections", "status"): ("open", "upheld", "dismissed"),
    ("import_jobs", "status"): ("queued", "running", "checked", "refused", "failed", "done"),
    ("import_jobs", "phase"): ("check", "apply"),
    ("loss_reports", "status"): ("reported", "accepted", "investigating", "rejected", "paid", "declined"),
    ("credit_report_requests", "status"): ("requested", "delivered", "declined"),
    ("outbox_messages", "status"): ("created", "sending", "sent", "failed", "deferred"),
    ("risk_notices", "status"): ("draft", "published", "archived"),
}

FTS_TRIGGERS = [
    """
    CREATE TRIGGER roster_entries_fts_ai AFTER INSERT ON roster_entries BEGIN
        INSERT INTO roster_entries_fts(rowid, search_grams) VALUES (new.id, new.search_grams);
    END
    """,
    """
    CREATE TRIGGER roster_entries_fts_ad AFTER DELETE ON roster_entries BEGIN
        INSERT INTO roster_entries_fts(roster_entries_fts, rowid, search_grams)
        VALUES ('delete', old.id, old.search_grams);
    END
    """,
    """
    CREATE TRIGGER roster_entries_fts_au AFTER UPDATE OF search_grams ON roster_entries BEGIN
        INSERT INTO roster_entries_fts(roster_entries_fts, rowid, search_grams)
        VALUES ('delete', old.id, old.search_grams);
        INSERT INTO roster_entries_fts(rowid, search_grams) VALUES (new.id, new.search_grams);
    END
    """,
]


def _tables() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    tables: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for (table, column), values in CHECKS.items():
        tables.setdefault(table, []).append((column, values))
    return tables


def _after_copying_tables() -> None:
    """SQLite: the search triggers back on the new roster_entries; every reference still holds."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("roster_entries_fts_au", "roster_entries_fts_ad", "roster_entries_fts_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in FTS_TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO roster_entries_fts(roster_entries_fts) VALUES ('rebuild')")
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"broken references after copying tables (table, rowid, parent, fk): {broken[:10]}")


def upgrade():
    for table, checks in _tables().items():
        with op.batch_alter_table(table) as batch:
            for column, values in checks:
                allowed = ", ".join(f"'{value}'" for value in values)
                batch.create_check_constraint(op.f(f"ck_{table}_{column}"), f"{column} IN ({allowed})")
    _after_copying_tables()


def downgrade():
    for table, checks in _tables().items():
        with op.batch_alter_table(table) as batch:
            for column, _values in checks:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    _after_copying_tables()
