"""The CLI import writes each batch as soon as it is checked, while the rest of the file is still
to be read (bench: 100,000 rows).

Batches are made tiny here so that a few rows span several of them: a problem found after earlier
batches were written still leaves nothing behind, and every batch is searchable at once."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.audit.models import AuditLog
from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.roster.importing import service, validate, writer
from intranet.roster.importing.search_columns import search_columns, search_fields
from intranet.roster.importing.validate import fast_uscc
from intranet.roster.models import Roster, RosterEntry
from intranet.roster.search import parse_query, search_board
from intranet.uscc import ALPHABET, check_digit

from .sheets import csv_bytes, row, xlsx_bytes
from .test_roster_import_rules import SEARCH_NAMES, entries, run_import, uscc, wrong_digit


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # 8 rows per batch
    monkeypatch.setattr(writer, "CHUNK", 8)


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(RosterEntry.id))),
        db.session.scalar(select(func.count(Enterprise.id))),
        db.session.scalar(select(func.count(Roster.id))),
    )


def names_found(text: str) -> set[str]:
    roster_ids = list(db.session.scalars(select(Roster.id)))
    page = search_board(roster_ids, parse_query(text), per_page=100)
    return {item.name for item in page.items}


def test_a_file_spanning_many_batches_is_written_whole_and_searchable(runner, tmp_path: Path):
    rows = [row(n, 9_000_000 if n % 5 == 0 else "1,000,000.00") for n in range(1, 31)]
    rows[28][2] = "深圳市最后一批光电有限公司"  # in the last batch
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 0, result.output
    assert data == {"imported": 24, "ineligible": 6, "errors": []}
    stored = entries()
    assert len(stored) == 30
    assert stored[uscc(30)].source_row == 31 and not stored[uscc(30)].eligible
    assert names_found("光电") == {"深圳市最后一批光电有限公司"}
    assert names_found("测试1号") == {"深圳市测试1号科技有限公司"}  # the first batch
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.import"))
    assert (log.changes["enterprises_created"], log.changes["enterprises_updated"]) == (30, 0)


def test_a_gb18030_csv_spanning_many_batches_imports_like_the_xlsx(runner, tmp_path: Path):
    rows = [[str(v) for v in row(n)] for n in range(1, 21)]
    rows[19][2] = "深圳市華為技術（测试）有限公司"  # outside GB2312, inside GB18030
    result, data = run_import(runner, tmp_path, csv_bytes(rows, encoding="gb18030"), "roster.csv")
    assert result.exit_code == 0, result.output
    assert data == {"imported": 20, "ineligible": 0, "errors": []}
    assert entries()[uscc(20)].name == "深圳市華為技術（测试）有限公司"
    assert names_found("華為") == {"深圳市華為技術（测试）有限公司"}


def test_a_bad_row_after_written_batches_leaves_nothing_behind(runner, tmp_path: Path):
    rows = [row(n) for n in range(1, 31)]
    rows[27] = row(28, code=wrong_digit(uscc(28)))  # sheet row 29: batches before it are written
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 1
    assert data["imported"] == 0
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(29, "统一社会信用代码")]
    assert "nothing was imported" in result.stderr
    assert counts() == (0, 0, 0)
    assert names_found("测试1号") == set()


def test_a_duplicate_across_batches_is_named_on_both_rows_and_nothing_is_written(runner, tmp_path: Path):
    rows = [row(n) for n in range(1, 31)]
    rows[25] = row(26, code=uscc(2))  # sheet row 27 repeats sheet row 3, written batches ago
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 1
    assert sorted(e["row"] for e in data["errors"]) == [3, 27]
    assert "same as row 27" in next(e["reason"] for e in data["errors"] if e["row"] == 3)
    assert counts() == (0, 0, 0)


def test_reimport_in_batches_counts_created_and_updated_across_batches(runner, tmp_path: Path):
    first, _ = run_import(runner, tmp_path, xlsx_bytes([row(n) for n in range(1, 11)]))
    assert first.exit_code == 0, first.output
    again = [row(n, "2,000,000.00") for n in range(6, 21)]  # 5 known, 10 new, over several batches
    result, data = run_import(runner, tmp_path, xlsx_bytes(again))
    assert result.exit_code == 0, result.output
    assert data == {"imported": 15, "ineligible": 0, "errors": []}
    stored = entries()
    assert len(stored) == 20 and str(stored[uscc(6)].export_amount_usd) == "2000000.00"
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "roster.import").order_by(AuditLog.id)).all()
    assert (log[-1].changes["enterprises_created"], log[-1].changes["enterprises_updated"]) == (10, 5)


def test_a_database_failure_in_a_later_batch_rolls_back_the_earlier_ones(runner, tmp_path: Path, monkeypatch):
    calls = []
    upsert = writer.Writer._upsert

    def failing(self: writer.Writer, count: int) -> None:
        calls.append(count)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        upsert(self, count)

    monkeypatch.setattr(writer.Writer, "_upsert", failing)
    result, _data = run_import(runner, tmp_path, xlsx_bytes([row(n) for n in range(1, 31)]))
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)
    assert len(calls) == 3
    assert counts() == (0, 0, 0)


def test_a_district_that_no_longer_exists_refuses_the_whole_import(runner, tmp_path: Path, monkeypatch):
    """The database's foreign keys refuse it (on SQLite as on PostgreSQL), and the CLI says so."""
    real = validate.district_aliases

    def vanished(districts):  # type: ignore[no-untyped-def]
        aliases = real(districts)
        aliases[validate.district_key("南山区")] = 9999  # as if deleted after the file was checked
        aliases["南山区"] = 9999
        return aliases

    monkeypatch.setattr(service, "district_aliases", vanished)
    rows = [row(n, district="福田区" if n < 20 else "南山区") for n in range(1, 31)]  # batches 1-2 are fine
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 1
    assert data is not None and data["imported"] == 0
    assert "no longer exists" in data["errors"][0]["reason"]
    assert "nothing was imported" in result.stderr
    assert counts() == (0, 0, 0)


def test_accept_good_rows_over_many_batches_skips_duplicates_on_both_rows(runner, tmp_path: Path):
    rows = [row(n) for n in range(1, 21)]
    rows[17] = row(18, code=uscc(3))  # sheet row 19 repeats sheet row 4
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows), "roster.xlsx", "--accept-good-rows")
    assert result.exit_code == 0, result.output
    assert data["imported"] == 18
    assert sorted(e["row"] for e in data["errors"]) == [4, 19]
    stored = entries()
    assert uscc(3) not in stored and len(stored) == 18


def test_search_columns_of_a_batch_equal_search_fields_name_by_name():
    norms, grams = search_columns(SEARCH_NAMES)
    assert list(zip(norms, grams, strict=True)) == [search_fields(name) for name in SEARCH_NAMES]
    assert search_columns([]) == ([], [])


def test_the_fast_check_digit_agrees_with_the_standard_one():
    rng = random.Random(2024)
    for _ in range(3000):
        body = "".join(rng.choice(ALPHABET) for _ in range(17))
        good = body + check_digit(body)
        assert fast_uscc(good) == (good, None)
        wrong = body + rng.choice(ALPHABET.replace(good[-1], ""))
        code, problem = fast_uscc(wrong)
        assert code == wrong and problem is not None and f"应为 {good[-1]}" in str(problem)
