"""Every board search starts from the full-text matches and runs under a time limit (issue 12):
on SQLite the plan can no longer walk the board re-running the phrase per entry, whatever the
statistics; a runaway statement is interrupted on both databases and the connection stays usable."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from intranet.extensions import db
from intranet.roster import search


@pytest.mark.parametrize("part", ["count", "page"])
def test_the_sqlite_name_search_is_driven_by_the_full_text_matches(app, backend, part):
    if backend != "sqlite":
        pytest.skip("the join order of the SQLite plan")
    db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))  # no statistics: the planner's worst case
    sql = search._sql("name", part, "sqlite").text.replace("IN :ids", "IN (1)")
    params = {"fts": search.fts_phrase("1234"), "cap": 1001, "limit": 20, "offset": 0}
    steps = [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql), params)]
    plan = [step for step in steps if step.startswith(("SCAN", "SEARCH")) and step != "SCAN matches"]
    assert "VIRTUAL TABLE" in plan[0], steps
    assert all("SCAN e" not in step for step in plan), plan


def test_a_runaway_statement_is_interrupted_and_the_connection_recovers(app, backend):
    heavy = {
        "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
        "postgresql": "SELECT pg_sleep(5)",
    }[backend]
    with pytest.raises(OperationalError), search.time_limit(100):
        db.session.execute(text(heavy))
    db.session.rollback()
    assert db.session.execute(text("SELECT 1")).scalar() == 1
    with search.time_limit(2000):
        assert db.session.execute(text("SELECT 2")).scalar() == 2
    if backend == "postgresql":
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "0"


def test_the_sqlite_uscc_prefix_search_uses_the_uscc_index(app, backend):
    if backend != "sqlite":
        pytest.skip("the SQLite plan")
    db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
    sql = search._sql("uscc", "page", "sqlite").text.replace("IN :ids", "IN (1)")
    params = {"lo": "12345", "hi": "12345Z", "limit": 20, "offset": 0}
    plan = [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql), params)]
    assert "ix_roster_entries_uscc" in plan[0], plan
