"""Every board search starts from the full-text matches and runs under a time limit (issue 12):
on SQLite the plan can no longer walk the board re-running the phrase per entry, whatever the
statistics; a runaway statement is interrupted on both databases and the connection stays usable."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from intranet.extensions import db
from intranet.roster import search
from tests import factories as f


@pytest.mark.parametrize("norm", ["12", "某某1234"])
def test_the_sqlite_name_search_is_driven_by_the_full_text_matches(app, backend, norm):
    if backend != "sqlite":
        pytest.skip("the join order of the SQLite plan")
    db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))  # no statistics: the planner's worst case
    size = 2 if len(norm) == 2 else 3
    sql = search._sql("name", "sqlite", size).text.replace("IN :ids", "IN (1)")
    params = {"match": search.fts_match(norm), "norm": norm, "cap": 1001, "limit": 20, "offset": 0}
    steps = [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql), params)]
    plan = [step for step in steps if step.startswith(("SCAN", "SEARCH"))]
    assert plan[0].startswith("SCAN f VIRTUAL TABLE"), steps
    assert all("SCAN e" not in step for step in plan), plan


@pytest.mark.parametrize("size", [2, 3])
def test_the_postgresql_name_search_starts_from_the_gin_index_without_statistics(app, backend, size):
    """No statistics: the board index (roster, status, eligible) looks like it returns one row; the
    plan must still start from the grams' GIN index, never compute the grams entry by entry."""
    if backend != "postgresql":
        pytest.skip("the PostgreSQL plan")
    f.confirmed_enterprise(1, name="深圳市某某001234贸易有限公司")
    db.session.flush()
    sql = search._sql("name", "postgresql", size).text.replace("IN :ids", "IN (1)")
    grams = ["某某"] if size == 2 else ["某某0", "012", "234"]
    params = {"grams": grams, "norm": "某某0", "cap": 1001, "probe": 1000, "full": 200, "limit": 20, "offset": 0}
    plan = "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql), params))
    index = "ix_roster_entries_search_bigrams" if size == 2 else "ix_roster_entries_search_trigrams"
    assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "ix_roster_entries_board" not in plan and "uq_roster_entries" not in plan, plan


@pytest.mark.parametrize("cap", [1000, 3])
def test_every_fragment_finds_exactly_the_names_holding_it(app, backend, monkeypatch, cap):
    """Against a plain substring check in Python: 2-character bigram queries, 3+ character trigram
    covers with their recheck, numbers across the stem, misses; with a small cap (and a small dense
    probe on PostgreSQL) the pages still hold capped matches, each once, in entry order."""
    monkeypatch.setattr(search, "COUNT_CAP", cap)
    monkeypatch.setattr(search, "DENSE_PROBE", 4)
    names = [f"深圳市某某{n:06d}贸易有限公司" for n in (1, 12, 123, 1234, 12345, 123456, 212121, 999999)]
    names += ["深圳市华为电子有限公司", "Shenzhen Bright Lighting Co., Ltd.", "深圳前海某某科技有限公司"]
    for n, name in enumerate(names, start=1):
        f.confirmed_enterprise(n, name=name)
    db.session.flush()
    roster_ids = list(db.session.scalars(text("SELECT DISTINCT roster_id FROM roster_entries")))
    fragments = ["某某", "12", "123", "1234", "某某0012", "001234贸易", "0贸易有限", "21212", "2121贸"]
    fragments += ["华为电子", "bright", "LIGHTING co", "有限公司", "某某9", "某某7", "深圳", "前海某某科"]
    for fragment in fragments:
        query = search.parse_query(fragment)
        norm = query.norm
        expected = [n for n, name in enumerate(names, start=1) if norm in search.normalize_for_search(name)]
        found, page = [], 1
        while True:
            board = search._name_matches(roster_ids, norm, page, 2)
            found += [_number(row.uscc) for row in board.items]
            if page >= board.pages:
                break
            page += 1
        assert board.total == min(len(expected), cap), fragment
        assert board.capped == (len(expected) > cap), fragment
        assert found == sorted(set(found)) and set(found) <= set(expected), fragment
        if backend == "sqlite" or len(expected) <= cap:  # PostgreSQL may cap a common word at its latest matches
            assert found == expected[:cap], fragment


def _number(uscc: str) -> int:
    return next(n for n in range(1, 50) if f.make_uscc(n) == uscc)


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
    sql = search._sql("uscc").text.replace("IN :ids", "IN (1)")
    params = {"lo": "12345", "hi": "12345Z", "limit": 20, "offset": 0, "cap": 201}
    steps = [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql), params)]
    scans = [step for step in steps if step.startswith(("SCAN", "SEARCH")) and " e " in f"{step} "]
    assert "ix_roster_entries_uscc" in scans[0], steps
    assert not any("TEMP B-TREE" in step for step in steps), steps  # the index's order: nothing sorted


def test_a_uscc_prefix_held_by_the_whole_board_pages_from_the_index_on_postgresql(app, backend):
    """ "91" starts every USCC. Without statistics the planner took the prefix for one row, made a
    bitmap of the whole board and sorted it (200 ms on 100,000 entries); the ordered search walks the
    (uscc, id) index (migration 0021) and stops at the page."""
    if backend != "postgresql":
        pytest.skip("the PostgreSQL plan")
    roster = f.make_roster(f.programme(), status="notice")
    # 20,000 entries sharing the prefix, inserted without ANALYZE: the planner's worst case
    db.session.execute(
        text(
            "INSERT INTO enterprises (id, uscc, name, notify_email, notify_sms, monthly_notices, created_at, "
            "updated_at) "
            "SELECT n, '91' || lpad(n::text, 16, '0'), 'E' || n, TRUE, TRUE, TRUE, now(), now() "
            "FROM generate_series(1, 20000) AS n"
        )
    )
    db.session.execute(
        text(
            "INSERT INTO roster_entries (roster_id, programme_id, enterprise_id, name, uscc, export_amount_usd, "
            "eligible, status, search_norm, search_grams, created_at, updated_at) "
            "SELECT :roster, :programme, id, name, uscc, 1000, TRUE, 'listed', name, '', now(), now() FROM enterprises"
        ),
        {"roster": roster.id, "programme": roster.programme_id},
    )
    params = {"lo": "91", "hi": "91Z", "limit": 20, "offset": 0, "cap": 201}
    sql = search._sql("uscc").text.replace("IN :ids", f"IN ({roster.id})")
    with search.time_limit(ordered=True):
        plan = "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql), params))
    assert "Index Scan using ix_roster_entries_uscc" in plan, plan
    assert "Sort" not in plan and "Bitmap" not in plan, plan
    assert db.session.execute(text("SHOW enable_sort")).scalar() == "on"  # for that block only


def test_a_digit_fragment_that_is_no_code_searches_names_with_bitmaps_again(app, backend):
    """ "12" might start a USCC: the code is looked for first, in index order; when no code starts
    with it, the names holding it are found through the GIN index (a bitmap) within the same limit."""
    f.confirmed_enterprise(1, name="深圳市某某001234贸易有限公司")
    f.confirmed_enterprise(2, name="深圳市华为电子有限公司")
    db.session.flush()
    roster_ids = list(db.session.scalars(text("SELECT DISTINCT roster_id FROM roster_entries")))
    settings = text("SELECT current_setting('enable_sort'), current_setting('jit')")
    before = db.session.execute(settings).one() if backend == "postgresql" else None
    found = search.search_board(roster_ids, search.parse_query("1234"))
    assert [row.name for row in found.items] == ["深圳市某某001234贸易有限公司"]
    assert found.by == "name"
    code = search.search_board(roster_ids, search.parse_query(f.make_uscc(2)))
    assert code.by == "uscc" and [row.name for row in code.items] == ["深圳市华为电子有限公司"]
    if backend == "postgresql":
        assert db.session.execute(settings).one() == before  # restored after the search
