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


def normalize_header(value: Any) -> str:
    """NFKC, case-folded, without spaces, brackets, punctuation or a leading "2023年"."""
    text = unicodedata.normalize("NFKC", str(value or "")).casefold()
    text = "".join(ch for ch in text if ch.isalnum())
    return _YEAR_PREFIX.sub("", text)


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
        key = normalize_header(cell)
        field = ALIASES.get(key)
        if field is None:
            continue
        if field in columns:
            repeated.append(field)
            continue
        columns[field] = index
        titles[field] = str(cell).strip()
    return columns, titles, repeated


def find_header(rows: Iterator[tuple[int, list[Any]]]) -> Header:
    """Consume rows up to and including the header row; refuse the file without one."""
    first: int | None = None
    for number, cells in rows:
        columns, titles, repeated = _match(cells)
        if len(columns) >= 2:
            if repeated:
                names = listing(FIELDS[f][0] for f in dict.fromkeys(repeated))
                raise FileRefused(_l("第 %(row)s 行表头中有重复的列：%(names)s", row=number, names=names), row=number)
            missing = [f for f in REQUIRED if f not in columns]
            if "amount" in missing and any("万美元" in str(c) for c in cells):
                raise FileRefused(
                    _l("出口额须以美元填写（不是万美元）"),
                    row=number,
                    column=FIELDS["amount"][0],
                )
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
        if number >= HEADER_SEARCH_ROWS:
            break
    wanted = listing(FIELDS[f][0] for f in REQUIRED)
    raise FileRefused(
        _l("找不到表头：前 %(n)s 行中没有包含这些列的行：%(names)s", n=HEADER_SEARCH_ROWS, names=wanted),
        row=first,
    )
