"""leaner roster writes: the search index tokenizes with 'ascii', and a redundant index goes

SQLite: the FTS5 index of roster entries is rebuilt with the 'ascii' tokenizer instead of
'unicode61'. Its tokens are the bigrams of search_norm, which holds only alphanumerics, already
NFKC-normalised and case-folded, so both tokenizers cut the same tokens; 'ascii' skips the Unicode
table lookups (a quarter of the index's cost in a 100,000-row import) and, like the PostgreSQL
index, does not fold accents ("café" is found by "café", no longer by "cafe").
Both: ix_roster_entries_roster_id goes; the unique (roster_id, enterprise_id) index and the
board index (roster_id, status, eligible) both begin with roster_id and serve every lookup by it.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TRIGGERS = [
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


def _rebuild_fts(tokenizer: str) -> None:
    for trigger in ("roster_entries_fts_au", "roster_entries_fts_ad", "roster_entries_fts_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS roster_entries_fts")
    op.execute(
        "CREATE VIRTUAL TABLE roster_entries_fts USING fts5(search_grams, content='roster_entries',"
        f" content_rowid='id', tokenize='{tokenizer}', columnsize=0)"
    )
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO roster_entries_fts(roster_entries_fts) VALUES ('rebuild')")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_fts("ascii")
    op.drop_index("ix_roster_entries_roster_id", table_name="roster_entries")


def downgrade():
    op.create_index("ix_roster_entries_roster_id", "roster_entries", ["roster_id"])
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_fts("unicode61")
