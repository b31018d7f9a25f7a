"""Reading an uploaded roster: refuse fast what is not a spreadsheet, then yield its rows.

.xlsx files are checked as zip archives (central directory, sizes, compression ratio and the real
decompressed size of every member) BEFORE python-calamine sees them, so a zip bomb costs at most
`max_unpacked` bytes of inflating and nothing of parsing. .csv files are decoded as UTF-8 (with
or without BOM), UTF-16 with BOM, or GB18030 (what Chinese Excel writes)."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from ...errors import Invalid

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .et
SUFFIXES = (".xlsx", ".csv")
# zip check: compressed bytes read, and decompressed bytes produced, at a time
READ_CHUNK = 1024 * 1024
INFLATE_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upload limits; the defaults follow the app's MAX_CONTENT_LENGTH (32 MB)."""

    max_bytes: int = 32 * 1024 * 1024
    max_unpacked: int = 256 * 1024 * 1024  # all members of an .xlsx together, decompressed
    max_ratio: int = 100  # decompressed / compressed, for members above ratio_floor
    ratio_floor: int = 1024 * 1024
    max_members: int = 2000


class FileRefused(Invalid):
    """The whole file is refused (not a spreadsheet, too big, a zip bomb, no header...)."""

    code = "file_refused"

    def __init__(self, message: Any, *, column: Any = None, row: int | None = None) -> None:
        super().__init__(message, code=self.code)
        self.column = column
        self.row = row


@dataclass
class Table:
    """The rows of the first sheet: (spreadsheet row number, cells). `size_hint` is for progress."""

    kind: str  # "xlsx" or "csv"
    rows: Iterator[tuple[int, list[Any]]]
    size_hint: int
    encoding: str | None = None


def kind_of(filename: str) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise FileRefused(_l("只接受 .xlsx 或 .csv 文件，收到“%(name)s”", name=filename))
    return suffix[1:]


def sniff(path: Path, filename: str, limits: Limits) -> str:
    """Check size, extension and content agree; return "xlsx" or "csv". Raises FileRefused."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise FileRefused(
            _l(
                "文件过大（%(size)s MB），上限为 %(limit)s MB",
                size=f"{size / 1048576:.1f}",
                limit=limits.max_bytes // 1048576,
            )
        )
    if size == 0:
        raise FileRefused(_l("文件是空的"))
    kind = kind_of(filename)
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(OLE_MAGIC):
        raise FileRefused(_l("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再上传"))
    is_zip = head.startswith(ZIP_MAGIC)
    if kind == "xlsx":
        if not is_zip:
            raise FileRefused(_l("文件扩展名为 .xlsx，但内容不是 Excel 工作簿"))
        check_zip(path, limits)
    else:
        if is_zip:
            raise FileRefused(_l("文件扩展名为 .csv，但内容是压缩文件（可能是 .xlsx），请更正扩展名"))
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRefused(_l("文件不是文本表格（CSV）"))
    return kind


def _unreadable(exc: Exception) -> FileRefused:
    return FileRefused(_l("无法读取 Excel 文件（%(detail)s）", detail=str(exc)))


def _bomb(detail: str) -> FileRefused:
    return FileRefused(_l("该 .xlsx 文件解压后异常庞大，疑似压缩炸弹，已拒绝（%(detail)s）", detail=detail))


def check_zip(path: Path, limits: Limits) -> None:
    """Inspect the central directory, then inflate each member counting bytes: refuse when the
    declared or the real sizes exceed the limits. Nothing inflated is kept."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(_l("Excel 文件已损坏，无法打开（%(detail)s）", detail=str(exc))) from exc
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise FileRefused(_l("压缩文件中没有 Excel 工作簿"))
    if len(members) > limits.max_members:
        raise _bomb(f"{len(members)} members")
    declared = sum(m.file_size for m in members)
    if declared > limits.max_unpacked:
        raise _bomb(f"{declared / 1048576:.0f} MB")
    for m in members:
        if m.file_size > limits.ratio_floor and m.file_size > limits.max_ratio * max(m.compress_size, 1):
            raise _bomb(f"{m.filename}: {m.file_size // max(m.compress_size, 1)}:1")
    total = 0
    with path.open("rb") as fh:
        for m in members:
            total += _inflated_size(fh, m, limits.max_unpacked - total)
            if total > limits.max_unpacked:
                raise _bomb(f"{total / 1048576:.0f} MB")


def _inflated_size(fh: Any, member: zipfile.ZipInfo, budget: int) -> int:
    """Real decompressed size of one member, stopping as soon as it exceeds what it declared."""
    fh.seek(member.header_offset)
    header = fh.read(30)
    if len(header) != 30 or header[:4] != ZIP_MAGIC:
        raise FileRefused(_l("Excel 文件已损坏"))
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fh.seek(member.header_offset + 30 + name_len + extra_len)
    if member.compress_type == zipfile.ZIP_STORED:
        return member.compress_size
    if member.compress_type != zipfile.ZIP_DEFLATED:
        raise FileRefused(_l("Excel 文件使用了不支持的压缩方式"))
    allowed = min(member.file_size, budget) + 1
    inflater = zlib.decompressobj(-15)
    remaining = member.compress_size
    produced = 0
    try:
        while remaining > 0 and produced < allowed:
            chunk = fh.read(min(remaining, READ_CHUNK))
            if not chunk:
                break
            remaining -= len(chunk)
            data = chunk
            while data and produced < allowed:
                out = inflater.decompress(data, INFLATE_CHUNK)
                produced += len(out)
                data = inflater.unconsumed_tail
    except zlib.error as exc:
        raise FileRefused(_l("Excel 文件已损坏（%(detail)s）", detail=str(exc))) from exc
    if produced > member.file_size:
        raise _bomb(f"{member.filename} expands beyond its declared size")
    return produced


def open_table(path: Path, filename: str, limits: Limits | None = None) -> Table:
    """Sniff the file (python-calamine never sees one the checks refuse), then return an
    iterator over its first sheet's rows."""
    if sniff(path, filename, limits or Limits()) == "xlsx":
        return _xlsx(path)
    return _csv(path)


def _xlsx(path: Path) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as exc:
        raise _unreadable(exc) from exc
    except Exception as exc:  # python-calamine raises its own zip/xml errors
        raise _unreadable(exc) from exc
    # iter_rows() starts at the sheet's first row, so enumerate() gives the row numbers Excel shows
    return Table(kind="xlsx", rows=enumerate(sheet.iter_rows(), start=1), size_hint=sheet.total_height)


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): BOMs first, then strict UTF-8, then GB18030."""
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused(_l("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GB18030（Excel 的“CSV（逗号分隔）”）"))


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv(path: Path) -> Table:
    text, encoding = decode(path.read_bytes())
    if "\x00" in text:
        raise FileRefused(_l("文件不是文本表格（CSV）"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as exc:
            raise FileRefused(
                _l("CSV 第 %(line)s 行格式错误：%(detail)s", line=reader.line_num, detail=str(exc)),
                row=reader.line_num,
            ) from exc

    return Table(kind="csv", rows=rows(), size_hint=text.count("\n") + 1, encoding=encoding)
