"""Header row: Chinese or English names, any order, extra columns (序号, 备注...) ignored."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from ...i18n import listing
from .reader import FileRefused
from .units import refuse_other_units, refuse_other_year, without_years

# field -> (label used in messages, accepted header names)
FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "uscc": (
        _l("统一社会信用代码"),
        (
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "统一代码",
            "uscc",
            "unified social credit code",
            "social credit code",
            "credit code",
        ),
    ),
    "name": (
        _l("企业名称"),
        (
            "企业名称",
            "企业名",
            "公司名称",
            "单位名称",
            "名称",
            "enterprise name",
            "enterprise",
            "company name",
            "company",
            "name",
        ),
    ),
    "district": (_l("所属区"), ("所属区", "所在区", "所属辖区", "辖区", "行政区", "区", "district")),
    "amount": (
        _l("出口额（美元）"),
        (
            "出口额美元",
            "出口额",
            "出口金额美元",
            "出口金额",
            "出口总额美元",
            "出口总额",
            "export amount usd",
            "export amount",
            "exports usd",
            "export usd",
            "export value usd",
        ),
    ),
    "contact_name": (_l("联系人"), ("联系人", "联系人姓名", "contact", "contact name", "contact person")),
    "mobile": (_l("手机"), ("手机", "手机号", "手机号码", "联系电话", "电话", "mobile", "mobile phone", "phone")),
    "email": (_l("邮箱"), ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "email address")),
}
REQUIRED = ("uscc", "name", "district", "amount")
HEADER_SEARCH_ROWS = 20  # a title row or two above the header is common
_YEAR_PREFIX = re.compile(r"^(?:\d{4}年度?)")
# how an amount's header may say "plain US dollars": 出口额(USD), 出口额（单位：美元）, Export amount (US$)
_PLAIN_USD = re.compile(r"(?:金额)?单位|美元|美金|usdollars?|usd|us|dollars?|in")


def normalize_header(value: Any) -> str:
    """NFKC, case-folded, without spaces, brackets, punctuation or a year ("2023年", "2023")."""
    text = unicodedata.normalize("NFKC", str(value or "")).casefold()
    text = "".join(ch for ch in text if ch.isalnum())
    return _YEAR_PREFIX.sub("", text)


def field_of(value: Any) -> str | None:
    """The field a header cell names, whatever year it names (checked apart) and however it says
    US dollars."""
    key = normalize_header(value)
    field = ALIASES.get(key)
    if field is None:
        key = normalize_header(without_years(value))
        field = ALIASES.get(key)
        if field is None and ALIASES.get(_PLAIN_USD.sub("", key)) == "amount":
            field = "amount"
    return field


ALIASES: dict[str, str] = {
    normalize_header(alias): field for field, (_label, aliases) in FIELDS.items() for alias in aliases
}


@dataclass(frozen=True)
class Header:
    row: int  # the header's own row number
    columns: dict[str, int]  # field -> 0-based column index
    titles: dict[str, str]  # field -> the header text as written in the file

    def title(self, field: str) -> Any:
        """The file's own header text, or the field's (lazy) label."""
        return self.titles.get(field) or FIELDS[field][0]


def _match(cells: list[Any]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    columns: dict[str, int] = {}
    titles: dict[str, str] = {}
    repeated: list[str] = []
    for index, cell in enumerate(cells):
        field = field_of(cell)
        if field is None:
            continue
        if field in columns:
            repeated.append(field)
            continue
        columns[field] = index
        titles[field] = str(cell).strip()
    return columns, titles, repeated


def find_header(
    rows: Iterator[tuple[int, list[Any]]], *, export_year: int | None = None, year: int | None = None
) -> Header:
    """Consume rows up to and including the header row; refuse the file without one, or when a
    title row or the header names another unit than US dollars, or the amount another year than
    `export_year` (the programme's; `year` is the programme's own, for the message)."""
    first: int | None = None
    above: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        columns, titles, repeated = _match(cells)
        if len(columns) >= 2:
            refuse_other_units([*above, (number, cells)])
            if "amount" in columns:
                refuse_other_year(number, columns["amount"], titles["amount"], export_year, year)
            if repeated:
                names = listing(FIELDS[f][0] for f in dict.fromkeys(repeated))
                raise FileRefused(_l("第 %(row)s 行表头中有重复的列：%(names)s", row=number, names=names), row=number)
            missing = [f for f in REQUIRED if f not in columns]
            if missing:
                names = listing(FIELDS[f][0] for f in missing)
                raise FileRefused(
                    _l("缺少必需的列：%(names)s（表头在第 %(row)s 行）", names=names, row=number),
                    row=number,
                    column=FIELDS[missing[0]][0],
                )
            return Header(row=number, columns=columns, titles=titles)
        if first is None and any(str(c).strip() for c in cells):
            first = number
        above.append((number, cells))
        if number >= HEADER_SEARCH_ROWS:
            break
    wanted = listing(FIELDS[f][0] for f in REQUIRED)
    raise FileRefused(
        _l("找不到表头：前 %(n)s 行中没有包含这些列的行：%(names)s", n=HEADER_SEARCH_ROWS, names=wanted),
        row=first,
    )
