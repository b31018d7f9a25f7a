"""A big one-sheet .xlsx is parsed in two halves on two cores (xlsx_parts): the rows must come out
exactly as one parse of the whole file gives them, and anything unusual falls back to that parse.

The size threshold is lowered so that small files are split."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from intranet.roster.importing import reader, xlsx_parts
from intranet.roster.importing.reader import Limits, examine, open_table

from .factories import ZH, row, xlsx_bytes
from .test_roster_import_rules import entries, run_import


@pytest.fixture(autouse=True)
def split_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_parts, "MIN_BYTES", 0)
    monkeypatch.setattr(xlsx_parts, "parts_wanted", lambda: 2)


def whole(path: Path) -> list[tuple[int, list[object]]]:
    return list(reader._xlsx(path).rows)


def split(path: Path) -> list[tuple[int, list[object]]]:
    sheet = examine(path, path.name, Limits()).sheet
    assert sheet is not None, "the zip check kept the sheet"
    found = xlsx_parts.split_rows(path, sheet)
    assert found is not None, "the file was split"
    return list(found[0])


def ragged_workbook(path: Path) -> None:
    """Shared strings, a title above the header, blank rows around the middle, numbers, and a
    second half whose cells start one column further right and end one column further out."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名单")
    sheet.write_string(0, 0, "2024年统保名单")
    sheet.write_row(2, 0, ZH)
    for n in range(1, 41):
        values = row(n)
        first = 1 if n > 20 else 0  # the second half leaves column A (序号) empty
        for j, value in enumerate(values[first:], start=first):
            if isinstance(value, int):
                sheet.write_number(2 + n + (5 if n > 20 else 0), j, value)
            else:
                sheet.write_string(2 + n + (5 if n > 20 else 0), j, str(value))
        if n > 30:
            sheet.write_string(2 + n + 5, len(values), "备注")
    book.close()


def test_a_ragged_sheet_splits_into_the_same_rows(tmp_path: Path):
    path = tmp_path / "ragged.xlsx"
    ragged_workbook(path)
    rows = split(path)
    assert rows == whole(path)
    numbers = [number for number, cells in rows if any(cells)]
    assert numbers[0] == 1 and numbers[-1] == 48  # row numbers as Excel shows them, gaps kept


def test_a_plain_roster_splits_into_the_same_rows(tmp_path: Path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([row(n, 1_000_000 + n) for n in range(1, 300)]))
    assert split(path) == whole(path)
    assert open_table(path, path.name).size_hint == reader._xlsx(path).size_hint


def test_a_split_file_imports_like_one_parse(runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls: list[bool] = []
    real = xlsx_parts.split_rows

    def spy(path: Path, sheet: xlsx_parts.SheetXml):  # type: ignore[no-untyped-def]
        found = real(path, sheet)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(reader, "split_rows", spy)
    rows = [row(n, 9_000_000 if n % 7 == 0 else 1_000_000) for n in range(1, 121)]
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 0, result.output
    assert calls == [True]
    assert data == {"imported": 120 - 17, "ineligible": 17, "errors": []}
    assert len(entries()) == 120


def test_a_bad_row_in_the_second_half_is_named_by_its_own_row(runner, tmp_path: Path):
    rows = [row(n) for n in range(1, 101)]
    rows[89][3] = "火星区"
    result, data = run_import(runner, tmp_path, xlsx_bytes(rows))
    assert result.exit_code == 1
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(91, "所属区")]
    assert entries() == {}


def rewritten(path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the workbook with its sheet XML passed through `change`."""
    out = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(info.filename, content)
    return out


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda xml: xml.replace(b"<sheetData>", b"<sheetData><!-- <row r='9'> -->"), id="a comment"),
        pytest.param(lambda xml: xml.replace(b' r="', b' x="'), id="unnumbered rows"),
        pytest.param(lambda xml: xml.replace(b"<sheetData>", b"<x:sheetData>"), id="no plain sheetData"),
    ],
)
def test_an_unusual_sheet_is_parsed_whole(tmp_path: Path, change):  # type: ignore[no-untyped-def]
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([row(n) for n in range(1, 60)]))
    odd = rewritten(path, change)
    sheet = examine(odd, odd.name, Limits()).sheet
    assert sheet is not None
    assert xlsx_parts.split_rows(odd, sheet) is None


def test_only_a_workbook_with_one_big_enough_sheet_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet().write_row(0, 0, ZH)
    book.add_worksheet().write_row(0, 0, ZH)
    book.close()
    two = tmp_path / "two.xlsx"
    two.write_bytes(buffer.getvalue())
    assert examine(two, two.name, Limits()).sheet is None
    one = tmp_path / "one.xlsx"
    one.write_bytes(xlsx_bytes([row(1)]))
    assert examine(one, one.name, Limits()).sheet is not None
    monkeypatch.setattr(xlsx_parts, "MIN_BYTES", 1 << 20)
    assert examine(one, one.name, Limits()).sheet is None
    assert xlsx_parts.member_to_keep([]) is None


def test_the_zip_check_still_refuses_a_bomb_while_keeping_the_sheet(tmp_path: Path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([row(n) for n in range(1, 50)]))
    with pytest.raises(reader.FileRefused, match="zip bomb"):
        examine(path, path.name, Limits(max_unpacked=4096))


def test_cut_points_fall_on_numbered_row_tags():
    xml = b'<worksheet><sheetData><row r="1"><c/></row><row r="2"><c/></row><row r="3"/></sheetData></worksheet>'
    cuts = xlsx_parts.cut_points(xml, 2)
    assert cuts is not None and len(cuts) == 3
    assert xml[cuts[1] :].startswith(b'<row r="')
    assert xml[cuts[0] : cuts[1]] + xml[cuts[1] : cuts[2]] == xml[xml.index(b'<row r="1"') : xml.index(b"</sheetData>")]
