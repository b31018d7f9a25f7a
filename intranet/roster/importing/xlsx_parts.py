"""Parsing a large one-sheet .xlsx on two cores: python-calamine, once per half of the sheet.

python-calamine parses a whole sheet in one call (without the GIL) and cannot stream it, so a
100,000-row roster is ~1 s of one core before the first row can be checked. The zip check inflates
every member anyway (reader.check_zip); for the one worksheet of a big file it keeps the XML. The
sheet's `<sheetData>` is cut at numbered `<row r="…">` tags into PARTS slices; each slice, with the
sheet's head and tail and the workbook's other members, is written to a temporary stored (not
deflated) copy of the workbook, the kept XML is let go, and calamine parses the copies in parallel
threads. Each copy keeps the original row numbers, so the rows come out exactly as one parse of
the whole file gives them (a test holds them equal).

Anything unexpected — a comment or CDATA in the sheet, a prefixed tag, a row without its number,
parts out of order, any parse error — returns None, and the caller parses the file whole as before
(which also reports a damaged file properly)."""

from __future__ import annotations

import os
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path
from typing import Any

MIN_BYTES = 4 * 1024 * 1024  # inflated sheet XML (~8,000 rows): below this one parse is quick anyway
MAX_BYTES = 96 * 1024 * 1024  # above this, keeping the XML and its copies costs too much memory
PARTS = 2
SHEET_DATA, SHEET_DATA_END, ROW = b"<sheetData>", b"</sheetData>", b"<row "


@dataclass
class SheetXml:
    """The inflated XML of a workbook's only worksheet, kept by the zip check (and let go by
    `split_rows` once it has been copied out)."""

    member: str
    data: bytes | None


def parts_wanted() -> int:
    return min(PARTS, os.cpu_count() or 1)


def member_to_keep(members: Sequence[zipfile.ZipInfo]) -> str | None:
    """The worksheet whose XML is worth keeping for a split parse: the workbook's only one, when
    it is big enough to gain and small enough to hold."""
    if parts_wanted() < 2:
        return None
    sheets = [m for m in members if m.filename.startswith("xl/worksheets/") and m.filename.count("/") == 2]
    if len(sheets) != 1 or not sheets[0].filename.endswith(".xml"):
        return None
    return sheets[0].filename if MIN_BYTES <= sheets[0].file_size <= MAX_BYTES else None


def cut_points(data: bytes, parts: int) -> list[int] | None:
    """Offsets [start of the rows, cut, …, end of the rows], each cut at a numbered `<row` tag."""
    start, end = data.find(SHEET_DATA), data.rfind(SHEET_DATA_END)
    if start < 0 or end < start or data.find(SHEET_DATA, start + 1) >= 0:
        return None
    if b"<!--" in data or b"<![CDATA[" in data:  # a "<row" in either is not a row
        return None
    start += len(SHEET_DATA)
    cuts = [start]
    for k in range(1, parts):
        cut = data.find(ROW, max(cuts[-1] + 1, start + (end - start) * k // parts), end)
        if cut < 0:
            return None
        tag_end = data.find(b">", cut, end)
        if tag_end < 0 or b' r="' not in data[cut:tag_end]:
            return None  # an unnumbered row would be numbered from the start of its part
        cuts.append(cut)
    cuts.append(end)
    return cuts


def _write_copy(target: Path, others: list[tuple[str, bytes]], member: str, pieces: Sequence[Any]) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, content in others:
            archive.writestr(name, content)
        with archive.open(member, "w") as out:
            for piece in pieces:
                out.write(piece)


def split_rows(path: Path, sheet: SheetXml) -> tuple[Iterator[tuple[int, list[Any]]], int] | None:
    """(rows numbered as in the file, height) from a parallel parse, or None to parse it whole."""
    data, sheet.data = sheet.data, None
    if data is None or (cuts := cut_points(data, parts_wanted())) is None:
        return None
    with tempfile.TemporaryDirectory(prefix="tongbao-xlsx-") as tmp:
        copies = [Path(tmp) / f"part-{k}.xlsx" for k in range(len(cuts) - 1)]
        with zipfile.ZipFile(path) as archive:  # checked by reader.check_zip: small, honest members
            others = [(i.filename, archive.read(i)) for i in archive.infolist() if i.filename != sheet.member]
        view = memoryview(data)  # slices without copies
        head, tail = view[: cuts[0]], view[cuts[-1] :]
        for k, copy in enumerate(copies):
            _write_copy(copy, others, sheet.member, (head, view[cuts[k] : cuts[k + 1]], tail))
        del data, view, head, tail, others  # the XML is let go before the parse
        return _parse(copies)


def _parse(copies: list[Path]) -> tuple[Iterator[tuple[int, list[Any]]], int] | None:
    from python_calamine import CalamineWorkbook

    sheets: list[Any] = [None] * len(copies)
    failed: list[BaseException] = []

    def parse(k: int) -> None:
        try:
            sheets[k] = CalamineWorkbook.from_path(str(copies[k])).get_sheet_by_index(0)
        except Exception as exc:  # noqa: BLE001 - the whole-file parse reports what is wrong
            failed.append(exc)

    helpers = [threading.Thread(target=parse, args=(k,), name=f"xlsx-part-{k}") for k in range(1, len(sheets))]
    for helper in helpers:
        helper.start()
    parse(0)
    for helper in helpers:
        helper.join()
    if failed:
        return None
    return _joined(sheets)


def _joined(sheets: list[Any]) -> tuple[Iterator[tuple[int, list[Any]]], int] | None:
    present = [s for s in sheets if s.start is not None]
    if not present:
        return iter(()), 0
    for before, after in pairwise(present):
        if after.start[0] <= before.end[0]:
            return None  # rows out of order: not what one parse would give
    left = min(s.start[1] for s in present)
    right = max(s.end[1] for s in present)
    return _rows(present, left, right), present[-1].total_height


def _rows(sheets: list[Any], left: int, right: int) -> Iterator[tuple[int, list[Any]]]:
    """Each part's rows, aligned as one sheet's: calamine gives a part's rows from the sheet's
    first row (blank ones before the part's first: those after the previous part's last are kept,
    as one parse gives them) and from the part's first column."""
    skip = 0
    for sheet in sheets:
        rows = enumerate(islice(sheet.iter_rows(), skip, None), start=skip + 1)
        skip = sheet.end[0] + 1
        before, after = [""] * (sheet.start[1] - left), [""] * (right - sheet.end[1])
        if before or after:
            yield from ((number, before + cells + after) for number, cells in rows)
        else:
            yield from rows
