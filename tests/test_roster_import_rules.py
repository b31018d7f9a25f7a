"""Roster import rules (DOMAIN.md "Roster and public notice" 1-2) through the real CLI command."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.audit.models import AuditLog
from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.roster.importing.search_columns import search_fields
from intranet.roster.importing.validate import MAX_NAME
from intranet.roster.models import Roster, RosterEntry
from intranet.roster.search import grams_for, normalize_for_search
from intranet.uscc import ALPHABET, check_digit

from . import factories as f
from .sheets import csv_bytes, row, xlsx_bytes


def uscc(n: int) -> str:
    return f.make_uscc(n)


def wrong_digit(code: str) -> str:
    """The same code with a check digit that does not match."""
    other = ALPHABET[(ALPHABET.index(check_digit(code[:17])) + 1) % 31]
    return code[:17] + other


def run_import(runner, tmp_path: Path, content: bytes, name: str = "roster.xlsx", *args: str):
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["roster", "import", str(path), "--programme", "2024", "--json", *args])
    return result, (json.loads(result.stdout) if result.stdout.strip().startswith("{") else None)


def entries() -> dict[str, RosterEntry]:
    db.session.expire_all()
    return {e.uscc: e for e in db.session.scalars(select(RosterEntry))}


def test_threshold_is_inclusive_and_amount_formats_are_understood(runner, tmp_path):
    rows = [
        row(1, "8,000,000.00"),
        row(2, 8000000.01),
        row(3, "8000000"),
        row(4, 8000000),
        row(5, "8,000,000.01"),
        row(6, "１２３,４５６.７８"),  # full-width digits as typed with a Chinese IME
        row(7, 0),
    ]
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 0, result.output
    assert data == {"imported": 5, "ineligible": 2, "errors": []}
    stored = entries()
    assert stored[uscc(1)].eligible and stored[uscc(1)].export_amount_usd == Decimal("8000000.00")
    assert not stored[uscc(2)].eligible and stored[uscc(2)].export_amount_usd == Decimal("8000000.01")
    assert stored[uscc(3)].eligible and stored[uscc(4)].eligible
    assert not stored[uscc(5)].eligible
    assert stored[uscc(6)].export_amount_usd == Decimal("123456.78")
    roster = db.session.scalar(select(Roster))
    assert (roster.seq, roster.status) == (1, "draft")
    first = stored[uscc(1)]
    assert first.search_norm == normalize_for_search(first.name)
    assert first.search_grams == grams_for(first.search_norm)
    assert first.source_row == 2


def test_full_width_lower_case_and_spaced_uscc_are_normalised(runner, tmp_path):
    code = f.make_uscc(77, prefix="9144030MA")
    full_width = code.translate({ord(c): ord(c) + 0xFEE0 for c in code if c.isalnum()})
    rows = [row(1, code=full_width), row(2, code=uscc(2).lower()), row(3, code=" " + uscc(3)[:9] + " " + uscc(3)[9:])]
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 0, result.output
    assert data["imported"] == 3
    assert set(entries()) == {code, uscc(2), uscc(3)}
    assert db.session.scalar(select(Enterprise.uscc).where(Enterprise.uscc == code)) == code


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(runner, tmp_path):
    rows = [
        row(1),
        row(2, code=wrong_digit(uscc(2))),
        row(3, district="火星区"),
        row(4, code=uscc(1)),  # the same USCC as row 2 of the sheet
        row(5, "-5"),
        row(6, "￥8,000"),
        row(7, "about a million"),
        row(8, "100.005"),
        row(9),
        row(10, code=914403001234567890),  # typed into a number cell: Excel keeps 15 digits
    ]
    rows[8][2] = ""  # no name
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 1
    assert data["imported"] == 0 and data["ineligible"] == 0
    by_row = {(e["row"], e["column"]): e["reason"] for e in data["errors"]}
    assert all(set(e) == {"row", "column", "reason"} for e in data["errors"])
    # the command line speaks English; the columns are the file's own headers
    assert "Check digit wrong" in by_row[(3, "统一社会信用代码")]
    assert "火星区" in by_row[(4, "所属区")]
    assert "same as row 5" in by_row[(2, "统一社会信用代码")]
    assert "same as row 2" in by_row[(5, "统一社会信用代码")]
    assert "negative" in by_row[(6, "出口额（美元）")]
    assert "currency sign" in by_row[(7, "出口额（美元）")]
    assert "not a number" in by_row[(8, "出口额（美元）")]
    assert "two decimals" in by_row[(9, "出口额（美元）")]
    assert "enterprise name" in by_row[(10, "企业名称")]
    assert "as text" in by_row[(11, "统一社会信用代码")]
    assert not [r for r in by_row.values() if "火星区" not in r and any("\u4e00" <= ch <= "\u9fff" for ch in r)]
    assert "nothing was imported" in result.stderr
    assert db.session.scalar(select(func.count(RosterEntry.id))) == 0
    assert db.session.scalar(select(func.count(Enterprise.id))) == 0
    assert db.session.scalar(select(func.count(Roster.id))) == 0


def test_accept_good_rows_imports_the_rest_and_reports_the_bad(runner, tmp_path):
    rows = [row(1), row(2, code=wrong_digit(uscc(2))), row(3, district="Atlantis"), row(4, 9_000_000)]
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows), "roster.xlsx", "--accept-good-rows")
    assert result.exit_code == 0, result.output
    assert data["imported"] == 1 and data["ineligible"] == 1
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(3, "统一社会信用代码"), (4, "所属区")]
    assert set(entries()) == {uscc(1), uscc(4)}
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.import"))
    assert log.actor_label.startswith("cli:") and log.changes["skipped_rows"] == [3, 4]


def test_gb18030_and_bom_csv_read_the_same_as_xlsx(app, tmp_path):
    from intranet.roster.importing.service import check_file

    rows = [row(1, "8,000,000.00"), row(2, 8000000.01, district="宝安区"), row(3, code=wrong_digit(uscc(3)))]
    rows[0][2] = "深圳市華為技術（测试）有限公司"  # characters outside GB2312 but inside GB18030
    texts = [[str(v) for v in r] for r in rows]
    files = {
        "a.xlsx": xlsx_bytes(rows),
        "b.csv": csv_bytes(texts, encoding="gb18030"),
        "c.csv": csv_bytes(texts, encoding="utf-8-sig"),
        "d.csv": csv_bytes(texts, encoding="utf-8"),
    }
    results = {}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        checked = check_file(tmp_path / name, name, f.programme())
        results[name] = (
            [(e.row, e.uscc, e.name, e.district_id, e.cents, e.eligible, e.mobile, e.email) for e in checked.entries],
            [(e.row, e.column, e.code) for e in checked.errors],
        )
    assert results["a.xlsx"][0][0][2] == "深圳市華為技術（测试）有限公司"
    assert results["b.csv"] == results["a.xlsx"] == results["c.csv"] == results["d.csv"]
    assert [r[5] for r in results["a.xlsx"][0]] == [True, False]


def test_english_headers_in_any_order_with_extra_columns_and_a_title_row(runner, tmp_path):
    headers = ["Remark", "District", "Export amount (USD)", "Email", "Enterprise name", "No.", "USCC", "Mobile"]
    rows = [["ok", "Nanshan District", "8,000,000", "a@b.cn", "Alpha Ltd", 1, uscc(1), "138 0000 0001"]]
    rows.append([None] * 8)  # a blank line is skipped, and the row numbers still match the sheet
    rows.append(["", "baoan", 12.5, "", "Beta Ltd", 2, uscc(2), ""])
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows, headers, title="2024年统保企业名单"))
    assert result.exit_code == 0, result.output
    assert data == {"imported": 2, "ineligible": 0, "errors": []}
    stored = entries()
    assert stored[uscc(1)].district.name_zh == "南山区" and stored[uscc(1)].source_row == 3
    assert stored[uscc(2)].district.name_zh == "宝安区" and stored[uscc(2)].source_row == 5
    alpha = db.session.scalar(select(Enterprise).where(Enterprise.uscc == uscc(1)))
    assert (alpha.name, alpha.mobile, alpha.email) == ("Alpha Ltd", "13800000001", "a@b.cn")


def test_missing_required_column_refuses_the_whole_file(runner, tmp_path):
    headers = ["序号", "统一社会信用代码", "企业名称", "出口额（美元）"]
    result, data = run_import(runner, tmp_path, xlsx_bytes([[1, uscc(1), "甲公司", 100]], headers))
    assert result.exit_code == 1
    assert "Missing required column: District" in data["errors"][0]["reason"]
    assert "District" in result.stderr
    assert db.session.scalar(select(func.count(Enterprise.id))) == 0


def test_reimport_updates_the_enterprise_and_its_entry(runner, tmp_path):
    result, _data = run_import(runner, tmp_path, xlsx_bytes([row(1), row(2)]))
    assert result.exit_code == 0
    changed = row(1, "9,000,000", district="福田区")
    changed[2] = "深圳市测试1号科技股份有限公司"
    changed[6] = ""  # mobile left empty: the known one is kept
    changed[7] = "new@x.cn"
    result, data = run_import(runner, tmp_path, xlsx_bytes([changed, row(3)]))
    assert result.exit_code == 0, result.output
    assert data == {"imported": 1, "ineligible": 1, "errors": []}
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.uscc == uscc(1)))
    assert enterprise.name == "深圳市测试1号科技股份有限公司" and enterprise.district.name_zh == "福田区"
    assert (enterprise.mobile, enterprise.email) == ("13800000000", "new@x.cn")
    assert db.session.scalar(select(func.count(Enterprise.id))) == 3
    stored = entries()
    assert len(stored) == 3
    assert stored[uscc(1)].name == enterprise.name and not stored[uscc(1)].eligible
    assert stored[uscc(1)].search_norm == normalize_for_search(enterprise.name)
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "roster.import").order_by(AuditLog.id)).all()
    assert [(x.changes["enterprises_created"], x.changes["enterprises_updated"]) for x in log] == [(2, 0), (1, 1)]


def test_once_the_main_roster_is_published_imports_go_to_a_supplementary_draft(runner, tmp_path):
    main = f.make_roster(f.programme(), status="notice")
    f.add_entry(main, f.make_enterprise(1))
    db.session.commit()
    result, data = run_import(runner, tmp_path, xlsx_bytes([row(5)]))
    assert result.exit_code == 0, result.output
    entry = entries()[uscc(5)]
    assert entry.roster.seq == 2 and entry.roster.status == "draft"
    assert db.session.scalar(select(func.count(RosterEntry.id)).where(RosterEntry.roster_id == main.id)) == 1


def test_cli_usage_and_refusals_exit_codes(runner, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([row(1)]))
    assert runner.invoke(args=["roster", "import", str(path)]).exit_code == 2  # --programme missing
    assert runner.invoke(args=["roster", "import", str(tmp_path / "none.xlsx"), "--programme", "2024"]).exit_code == 2
    unknown = runner.invoke(args=["roster", "import", str(path), "--programme", "1999"])
    assert unknown.exit_code == 1 and "1999" in unknown.stderr
    text = runner.invoke(args=["roster", "import", str(path), "--programme", "2024"])
    assert text.exit_code == 0 and "imported 1" in text.stdout


# names that test the import's search columns against roster.search (full-width, symbols, emoji, too long)
SEARCH_NAMES = [
    "深圳市华为技术有限公司",
    "ＡＢＣ　Trading (HK) Co., Ltd.",
    "A_B-C ＄ 7½ Ⅻ ß İ",
    "x",
    "",
    "中国 出口-信用_保险 №1",
    "__",
    "😀深圳😀",
    "长" * 250,  # longer than the 200 characters a norm keeps
]


@pytest.mark.parametrize("name", [n for n in SEARCH_NAMES if len(n) <= MAX_NAME])  # names the import accepts
def test_search_fields_equal_the_search_module(name):
    norm = normalize_for_search(name)
    assert search_fields(name) == (norm, grams_for(norm))
