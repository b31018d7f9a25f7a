"""Reading uploads safely (no database): zip members that lie about their size, encodings, headers."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
import xlsxwriter

from intranet.roster.importing.headers import find_header
from intranet.roster.importing.reader import FileRefused, Limits, open_table

from .sheets import ZH, csv_bytes, row, xlsx_bytes
from .test_roster_import_rules import uscc


def lying_zip() -> bytes:
    """A member that says it inflates to 500 KB (below every ratio check) but really gives 3 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (3 << 20))
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    lie = struct.pack("<I", 500_000)
    data[member.header_offset + 22 : member.header_offset + 26] = lie  # local header
    central = data.rfind(b"PK\x01\x02")  # the member's central directory record (written last)
    data[central + 24 : central + 28] = lie
    return bytes(data)


def test_a_member_inflating_beyond_its_declared_size_is_a_bomb(tmp_path):
    path = tmp_path / "liar.xlsx"
    path.write_bytes(lying_zip())
    with pytest.raises(FileRefused, match="疑似压缩炸弹"):
        open_table(path, "liar.xlsx")


def test_total_unpacked_size_is_limited(tmp_path):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(xlsx_bytes([row(n) for n in range(1, 50)]))
    assert open_table(path, "ok.xlsx").kind == "xlsx"
    with pytest.raises(FileRefused, match="疑似压缩炸弹"):
        open_table(path, "ok.xlsx", Limits(max_unpacked=4096))


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-16", "\t"), ("gb18030", ";"), ("utf-8-sig", ","), ("utf-8", "\t")]
)
def test_csv_encodings_and_delimiters(tmp_path, encoding, delimiter):
    text = csv_bytes([[str(v) for v in row(1)]], encoding="utf-8").decode("utf-8").replace(",", delimiter)
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode(encoding))
    table = open_table(path, "r.csv")
    header = find_header(table.rows)
    assert header.row == 1 and header.titles["amount"] == "出口额（美元）"
    number, cells = next(table.rows)
    assert number == 2 and cells[2] == "深圳市测试1号科技有限公司"


def test_undecodable_csv_is_refused(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(",".join(ZH).encode("utf-8") + b"\r\n\x81\x30\xff\xfe\x80,1\r\n")
    with pytest.raises(FileRefused, match="GB18030"):
        open_table(path, "r.csv")


def test_amounts_in_ten_thousands_of_dollars_are_refused_with_the_reason(tmp_path):
    headers = [h if h != "出口额（美元）" else "出口额（万美元）" for h in ZH]
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([row(1, 800)], headers))
    with pytest.raises(FileRefused, match="万美元"):
        find_header(open_table(path, "r.xlsx").rows)


def test_xlsx_rows_keep_the_sheets_row_numbers_and_columns(tmp_path):
    """A title above the header, blank rows in the middle, later rows that leave column A empty and
    one more column at the end: each row comes with the number Excel shows, its cells in their columns."""
    path = tmp_path / "ragged.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名单")
    sheet.write_string(0, 0, "2024年统保名单")
    sheet.write_row(2, 0, ZH)
    for n in range(1, 41):
        at = 2 + n + (5 if n > 20 else 0)  # rows 24-28 are blank
        first = 1 if n > 20 else 0
        sheet.write_row(at, first, [str(v) for v in row(n)[first:]])
        if n > 30:
            sheet.write_string(at, len(ZH), "备注")
    book.close()
    rows = dict(open_table(path, path.name).rows)
    filled = sorted(number for number, cells in rows.items() if any(cells))
    assert filled[0] == 1 and filled[-1] == 48 and len(filled) == 42  # title, header, 40 entries
    assert not any(rows[24]) and not any(rows[28])
    assert rows[4][1] == uscc(1) and rows[29][0] == "" and rows[29][1] == uscc(21)
    assert rows[48][len(ZH)] == "备注"
