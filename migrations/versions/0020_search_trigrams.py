"""roster search by trigrams: a query of 3 or more characters starts from a trigram index

Bigrams are too common to start a search from: on a board of names sharing a stem
(深圳市某某NNNNNN贸易有限公司) every bigram of a fragment like 某某0012 occurs in tens of thousands of
names, and the phrase had to be checked in every one of them (issue 12). Trigrams are rarer by
orders of magnitude; a query of 3+ characters now asks for a cover of its trigrams and rechecks the
exact substring on the few candidates. Two-character queries keep the bigram index of 0003.

SQLite: an FTS5 table with the built-in 'trigram' tokenizer over roster_entries.search_norm
(external content, detail='none': no positions, the substring is rechecked on the row), kept in
sync by triggers. PostgreSQL: tb_trigrams(text) -> text[] (IMMUTABLE) and a GIN index on
tb_trigrams(search_norm); both gram functions are costed as what they are (expensive per row).

Careful on SQLite, as with 0003: a later batch migration that *recreates* roster_entries drops
these triggers with the old table; recreate them there and 'rebuild' this index too.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """
    CREATE VIRTUAL TABLE roster_entries_tri USING fts5(
        search_norm,
        content='roster_entries',
        content_rowid='id',
        tokenize='trigram',
        detail='none',
        columnsize=0
    )
    """,
    """
    CREATE TRIGGER roster_entries_tri_ai AFTER INSERT ON roster_entries BEGIN
        INSERT INTO roster_entries_tri(rowid, search_norm) VALUES (new.id, new.search_norm);
    END
    """,
    """
    CREATE TRIGGER roster_entries_tri_ad AFTER DELETE ON roster_entries BEGIN
        INSERT INTO roster_entries_tri(roster_entries_tri, rowid, search_norm)
        VALUES ('delete', old.id, old.search_norm);
    END
    """,
    """
    CREATE TRIGGER roster_entries_tri_au AFTER UPDATE OF search_norm ON roster_entries BEGIN
        INSERT INTO roster_entries_tri(roster_entries_tri, rowid, search_norm)
        VALUES ('delete', old.id, old.search_norm);
        INSERT INTO roster_entries_tri(rowid, search_norm) VALUES (new.id, new.search_norm);
    END
    """,
    "INSERT INTO roster_entries_tri(roster_entries_tri) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS roster_entries_tri_au",
    "DROP TRIGGER IF EXISTS roster_entries_tri_ad",
    "DROP TRIGGER IF EXISTS roster_entries_tri_ai",
    "DROP TABLE IF EXISTS roster_entries_tri",
]

POSTGRES_UP = [
    """
    CREATE OR REPLACE FUNCTION tb_trigrams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
        SELECT array(SELECT substr(t, i, 3) FROM generate_series(1, char_length(t) - 2) AS i)
    $$
    """,
    # as 0003's bigram index: a small pending list, so a fresh import is searchable at full speed
    # about 30 µs a call, hundreds of times a built-in operator: so costed, the planner reads the GIN
    # index rather than computing the grams row by row (the default cost made that look cheap)
    "ALTER FUNCTION tb_bigrams(text) COST 1000",
    "CREATE INDEX ix_roster_entries_search_trigrams ON roster_entries USING gin (tb_trigrams(search_norm))"
    " WITH (gin_pending_list_limit = 256)",
]

POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_roster_entries_search_trigrams",
    "DROP FUNCTION IF EXISTS tb_trigrams(text)",
    "ALTER FUNCTION tb_bigrams(text) COST 100",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, []):
        op.execute(statement)
