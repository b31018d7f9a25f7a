"""A bulk roster write on SQLite runs without per-row foreign-key lookups and checks the same
references itself, once per batch; afterwards every connection checks foreign keys again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.roster.importing import references, service, validate
from intranet.roster.models import Roster, RosterEntry, RosterStatus

from .factories import row, xlsx_bytes
from .test_roster_import_rules import entries, run_import


def pooled_connections_check_foreign_keys(count: int = 3) -> bool:
    """Check out several connections straight from the pool (no BEGIN, so no event can fix them
    up on the way) and ask each whether it enforces foreign keys."""
    if db.engine.dialect.name != "sqlite":
        return True
    db.session.remove()
    connections = [db.engine.raw_connection() for _ in range(count)]
    try:
        return all(c.driver_connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1 for c in connections)
    finally:
        for connection in connections:
            connection.close()


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records each roster write that checked its own references (roster id)."""
    made: list[int] = []
    real = references.References.__init__

    def spy(self, conn, *, roster_id: int, programme_id: int) -> None:  # type: ignore[no-untyped-def]
        made.append(roster_id)
        real(self, conn, roster_id=roster_id, programme_id=programme_id)

    monkeypatch.setattr(references.References, "__init__", spy)
    return made


def test_an_import_checks_its_references_and_leaves_foreign_keys_on(runner, tmp_path: Path, checked):
    result, data = run_import(runner, tmp_path, xlsx_bytes([row(n) for n in range(1, 6)]))
    assert result.exit_code == 0, result.output
    assert data["imported"] == 5
    # SQLite: the write checked its own references; PostgreSQL checks them row by row itself
    assert len(checked) == (1 if db.engine.dialect.name == "sqlite" else 0)
    assert pooled_connections_check_foreign_keys()
    entry = next(iter(entries().values()))
    roster = db.session.get(Roster, entry.roster_id)
    assert roster is not None and roster.status == RosterStatus.DRAFT
    stray = RosterEntry(
        roster_id=entry.roster_id,
        programme_id=entry.programme_id,
        enterprise_id=entry.enterprise_id + 1000,  # no such enterprise
        name="x",
        uscc="x",
        export_amount_usd=1,
        eligible=True,
        status="listed",
        search_norm="x",
        search_grams="",
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )
    db.session.add(stray)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_district_that_does_not_exist_refuses_the_whole_import(runner, tmp_path: Path, monkeypatch):
    real = validate.district_aliases

    def vanished(districts):  # type: ignore[no-untyped-def]
        aliases = real(districts)
        aliases[validate.district_key("南山区")] = 9999  # as if deleted after the file was checked
        aliases["南山区"] = 9999
        return aliases

    monkeypatch.setattr(service, "district_aliases", vanished)
    rows = [row(n, district="福田区" if n < 4 else "南山区") for n in range(1, 8)]
    result, _ = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code != 0
    if db.engine.dialect.name == "sqlite":
        assert "No such district (id [9999])" in result.output
    assert entries() == {}
    assert db.session.scalars(select(Enterprise)).all() == []
    assert pooled_connections_check_foreign_keys()
