"""The unit and the year of the amounts, as the file states them above or in its header.

The amounts are plain US dollars of the programme's export year. A file that says otherwise —
"单位：万美元" in a title row, "出口额（人民币）" or "Export amount (USD thousands)" in the header,
"出口额 2022" for the 2024 programme (export year 2023) — is refused as a whole, naming the cell."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l

from .reader import FileRefused

# what is not plain US dollars: a multiple of the dollar, the yuan or another currency — but an amount
# ("800 万美元", "USD 8 million", as a title quoting the notice says) is not a unit
_NUMERAL = "0-9零〇一二两三四五六七八九十百千万亿"
_NOT_AN_AMOUNT = rf"(?<![{_NUMERAL}])(?<![{_NUMERAL}] )"
_OTHER_UNIT = re.compile(
    rf"{_NOT_AN_AMOUNT}[百千万亿]+\s*(?:美元|美金|元)"
    r"|人民币|港币|港元|欧元|日元|英镑|韩元|台币|澳元|加元"
    r"|(?<![美单])元"
    r"|单位\s*[:：]?\s*[万千百亿]"
    r"|[(（\[【]\s*[万千百亿]\s*[)）\]】]"
    r"|[￥¥€£]"
    r"|(?<![a-z])(?:rmb|cny|hkd|eur|jpy|gbp|yuan|renminbi|hk\$)(?![a-z])"
    rf"|{_NOT_AN_AMOUNT}(?<![a-z])(?:thousands?|millions?|billions?|mln|mn|bn)(?![a-z])"
    r"|'000|(?<![0-9])000s?(?![0-9])"
    r"|(?:usd|us\$|\$)\s*k(?![a-z])|(?<![a-z0-9])k\s*(?:usd|us\$|\$)",
)
_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])\s*(?:年度|年)?")


def fold(value: Any) -> str:
    """The cell's text as compared: NFKC (full-width to ASCII), case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", str(value or "")).casefold().split())


def cell_name(row: int, column: int) -> str:
    """Spreadsheet notation: column 0, row 1 → "A1"; column 27 → "AB"."""
    letters = ""
    n = column + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row}"


def years_in(value: Any) -> list[int]:
    return [int(y) for y in _YEAR.findall(fold(value))]


def without_years(value: Any) -> str:
    return _YEAR.sub(" ", fold(value))


def refuse_other_units(rows: list[tuple[int, list[Any]]]) -> None:
    """Refuse the file when a cell of these rows (the title rows and the header) names a unit or a
    currency other than plain US dollars."""
    for number, cells in rows:
        for index, cell in enumerate(cells):
            if cell is None or not isinstance(cell, str) or not cell.strip():
                continue
            if _OTHER_UNIT.search(fold(cell)):
                text = cell.strip()[:80]
                raise FileRefused(
                    _l(
                        "单元格 %(cell)s 写有“%(text)s”：出口额须以美元为单位填写，不能是万美元、千美元、"
                        "人民币等其他单位或币种。请换算为美元后重新导入，整个文件未导入",
                        cell=cell_name(number, index),
                        text=text,
                    ),
                    row=number,
                    column=cell_name(number, index),
                )


def refuse_other_year(row: int, column: int, title: str, export_year: int | None, year: int | None) -> None:
    """Refuse the file when the amount's header names a year other than the programme's export year."""
    if export_year is None:
        return
    wrong = [y for y in years_in(title) if y != export_year]
    if wrong:
        raise FileRefused(
            _l(
                "单元格 %(cell)s 的表头“%(text)s”是 %(found)s 年的出口额，而 %(year)s 年度统保按 "
                "%(export_year)s 年的出口额认定。请填写 %(export_year)s 年的出口额后重新导入，整个文件未导入",
                cell=cell_name(row, column),
                text=title.strip()[:80],
                found=wrong[0],
                year=year,
                export_year=export_year,
            ),
            row=row,
            column=cell_name(row, column),
        )
