"""roster search index: substring search over entry names (bigrams), per dialect

SQLite: an FTS5 table over roster_entries.search_grams (external content, kept in sync by
triggers); a query is a phrase of its bigrams, and consecutive bigrams mean a substring.
PostgreSQL: tb_bigrams(text) -> text[] (IMMUTABLE) and a GIN index on tb_bigrams(search_norm);
a query is array containment plus a strpos() recheck (duplicates in the array are harmless:
GIN keys are distinct).
Both: a covering index for the public board (roster, status, eligibility) so counting a
roster's listed entries reads only the index.

Careful on SQLite: a later batch migration that *recreates* roster_entries (move-and-copy) drops
these triggers with the old table; recreate them there and 'rebuild' the FTS index.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """
    CREATE VIRTUAL TABLE roster_entries_fts USING fts5(
        search_grams,
        content='roster_entries',
        content_rowid='id',
        tokenize='unicode61',
        columnsize=0
    )
    """,
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
    "INSERT INTO roster_entries_fts(roster_entries_fts) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS roster_entries_fts_au",
    "DROP TRIGGER IF EXISTS roster_entries_fts_ad",
    "DROP TRIGGER IF EXISTS roster_entries_fts_ai",
    "DROP TABLE IF EXISTS roster_entries_fts",
]

POSTGRES_UP = [
    """
    CREATE OR REPLACE FUNCTION tb_bigrams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT array(SELECT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i)
    $$
    """,
    # a small pending list: a freshly imported roster is searchable at full speed at once, while a
    # bulk import still batches its index updates (fastupdate=off would triple a 100k import)
    "CREATE INDEX ix_roster_entries_search_bigrams ON roster_entries USING gin (tb_bigrams(search_norm))"
    " WITH (gin_pending_list_limit = 256)",
]

POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_roster_entries_search_bigrams",
    "DROP FUNCTION IF EXISTS tb_bigrams(text)",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, [])
    for statement in statements:
        op.execute(statement)
    op.create_index("ix_roster_entries_board", "roster_entries", ["roster_id", "status", "eligible"])


def downgrade():
    op.drop_index("ix_roster_entries_board", table_name="roster_entries")
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, []):
        op.execute(statement)
