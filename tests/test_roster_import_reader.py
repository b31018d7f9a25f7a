"""Reading uploads safely (no database): zip members that lie about their size, encodings, headers."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from intranet.roster.importing.headers import find_header
from intranet.roster.importing.reader import FileRefused, Limits, open_table

from .factories import ZH, csv_bytes, row, xlsx_bytes


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
