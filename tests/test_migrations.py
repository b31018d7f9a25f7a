"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from sqlalchemy import inspect

from intranet.extensions import db


def test_models_and_migrations_agree(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_single_head_and_search_objects_exist(app, backend):
    from alembic.script import ScriptDirectory

    from intranet.extensions import ensure_migrate

    ensure_migrate(app)
    config = app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    inspector = inspect(db.engine)
    if backend == "sqlite":
        assert "roster_entries_fts" in inspector.get_table_names()
    else:
        names = {ix["name"] for ix in inspector.get_indexes("roster_entries")}
        assert "ix_roster_entries_search_bigrams" in names
