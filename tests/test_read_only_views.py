"""The public board's views are `@read_only`: on PostgreSQL their transaction cannot write and ends
with COMMIT, so psycopg keeps the statements it prepared from one request to the next (it forgets
them on every ROLLBACK, and each board request then planned every statement again: issue 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from intranet.db_tx import read_only
from intranet.extensions import db

from .board_seed import OPEN, seed_board
from .helpers import soup


def test_a_read_only_view_cannot_write(app, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL enforces the read-only transaction")
    seed_board()

    @read_only
    def renames() -> str:
        db.session.execute(text("UPDATE programmes SET name_en = 'renamed'"))
        return "renamed"

    with app.test_request_context("/"), pytest.raises(DBAPIError, match="read-only transaction"):
        renames()
    db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM programmes WHERE name_en = 'renamed'")).scalar() == 0


def test_the_board_keeps_its_prepared_statements_from_one_request_to_the_next(app, backend, client, freeze):
    if backend != "postgresql":
        pytest.skip("psycopg's prepared statements")
    seed_board()
    freeze(OPEN)
    db.session.remove()  # the test's own connection goes back to the pool: the requests share one
    for _ in range(7):  # psycopg prepares a statement on its fifth run
        response = client.get("/notices/2024?q=华为")
        assert response.status_code == 200
        assert soup(response).select_one("table.board td.entry-name").get_text(strip=True) == "深圳市华为技术有限公司"
    assert client.get("/notices/2099").status_code == 404  # a view that raises is rolled back as any other
    for _ in range(7):
        client.get("/notices/2024?q=华为")
    prepared = db.session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("strpos" in statement for statement in prepared), prepared  # the name search
