"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import CheckConstraint, inspect, select, text
from sqlalchemy.exc import IntegrityError

from intranet.extensions import db
from intranet.roster.models import RosterEntry


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
        assert {"roster_entries_fts", "roster_entries_tri"} <= set(inspector.get_table_names())
    else:
        names = {ix["name"] for ix in inspector.get_indexes("roster_entries")}
        assert {"ix_roster_entries_search_bigrams", "ix_roster_entries_search_trigrams"} <= names


def _quoted(sql: str) -> set[str]:
    return set(re.findall(r"'([a-z_]+)'", sql))


def test_every_status_check_is_in_the_database_with_the_models_values(app):
    """Migration 0007 froze its own copy of the values: it must still match what the models declare."""
    inspector = inspect(db.engine)
    declared = {
        (table.name, check.name): _quoted(str(check.sqltext))
        for table in db.metadata.sorted_tables
        for check in table.constraints
        if isinstance(check, CheckConstraint)
    }
    assert {("policies", "ck_policies_status"), ("import_jobs", "ck_import_jobs_phase")} <= set(declared)
    # 0007's ten, 0008's tasks.status, 0012's loss_parties.kind and payment_terms, 0017's consultations.status
    assert len(declared) == 14
    for (table, name), values in declared.items():
        found = {c["name"]: _quoted(c["sqltext"]) for c in inspector.get_check_constraints(table)}
        assert found.get(name) == values, (table, name)
    assert "lapsed" in declared[("policies", "ck_policies_status")]


def test_the_database_refuses_an_unknown_status(app):
    from tests import factories as f

    _enterprise, _user, policy = f.loss_policy_holder(1)
    report = f.make_loss(policy)
    notice = f.make_notice("通报")
    db.session.commit()
    for table, row_id in [("policies", policy.id), ("loss_reports", report.id), ("risk_notices", notice.id)]:
        with pytest.raises(IntegrityError):
            db.session.execute(text(f"UPDATE {table} SET status = 'bogus' WHERE id = :id"), {"id": row_id})
        db.session.rollback()
    db.session.execute(text("UPDATE policies SET status = 'lapsed' WHERE id = :id"), {"id": policy.id})
    db.session.commit()
    assert db.session.scalar(text("SELECT status FROM policies WHERE id = :id"), {"id": policy.id}) == "lapsed"


def test_status_checks_go_down_and_up_again(app, backend):
    """0007's downgrade removes the checks (copying the tables on SQLite) and keeps the search working."""
    import flask_migrate

    from intranet.extensions import ensure_migrate
    from intranet.roster import search
    from tests import factories as f

    uscc = f.confirmed_enterprise(7, name="深圳市前海通宝贸易有限公司").uscc
    db.session.commit()
    ensure_migrate(app)
    db.session.remove()
    flask_migrate.downgrade(revision="0006")
    assert "ck_policies_status" not in {c["name"] for c in inspect(db.engine).get_check_constraints("policies")}
    flask_migrate.upgrade()
    assert "ck_policies_status" in {c["name"] for c in inspect(db.engine).get_check_constraints("policies")}
    roster_ids = list(db.session.scalars(select(RosterEntry.roster_id)))
    found = search.search_board(roster_ids, search.parse_query("通宝贸易"))
    assert [row.uscc for row in found.items] == [uscc]
    later = f.confirmed_enterprise(8, name="深圳市南山通宝电子有限公司").uscc  # the search triggers still work
    db.session.commit()
    found = search.search_board(roster_ids, search.parse_query("通宝"))
    assert {row.uscc for row in found.items} == {uscc, later}


def test_the_seed_files_still_say_what_migration_0002_froze():
    """0002 carries its own copy of the seed; the tests' PostgreSQL reset and `tongbao demo` read the
    files. Changed a seed file? Then existing databases need a data migration too."""
    import importlib.util
    import json

    from intranet.config import REPO_ROOT
    from intranet.programmes.seed import SEED_DIR

    spec = importlib.util.spec_from_file_location("m0002", REPO_ROOT / "migrations/versions/0002_seed_reference.py")
    assert spec is not None and spec.loader is not None
    m0002 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m0002)
    reference = json.loads((SEED_DIR / "reference.json").read_text(encoding="utf-8"))
    assert [(m["name"], m["phone"]) for m in reference["managers"]] == m0002.MANAGERS
    assert [(d["name_zh"], d["name_en"], tuple(d["managers"])) for d in reference["districts"]] == m0002.DISTRICTS
    assert json.loads((SEED_DIR / "programme_2024.json").read_text(encoding="utf-8")) == m0002.PROGRAMME_2024
