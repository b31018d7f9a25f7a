"""Every DOMAIN.md rule for one roster row, written for speed (100,000 rows in well under a second).

A row is either good (an `Entry`), bad (one `RowError` per problem), or — when its only problem is
the USCC check digit — "pending": bureau staff may accept it in the web import after checking the
business licence."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from ...i18n import DataPair, listing, stored_error
from ...uscc import ALPHABET, WEIGHTS, check_digit, normalize_uscc, uscc_problem
from .headers import FIELDS, Header

CENT = Decimal("0.01")
_USCC_OK = re.compile(r"[0-9A-HJ-NPQRTUW-Y]{18}")
_PLAIN = re.compile(r"\d+(?:\.\d{1,2})?")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")
_TOO_PRECISE = re.compile(r"(?:\d+|\d{1,3}(?:,\d{3})+)\.\d{3,}")
_CURRENCY = re.compile(r"[￥¥$€£元]|rmb|cny|usd|美元|人民币", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE_STRIP = str.maketrans("", "", " -()（）")
_PHONE = re.compile(r"\+?\d{5,20}")
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
# The check digit c makes  sum(value(ch) * weight) + value(c) ≡ 0 (mod 31)  over the first 17 characters,
# and the weights are 3**i mod 31. As 34 ≡ 3 (mod 31), that sum is ≡ the base-34 number whose digits
# are the values, first character last: int() computes it in C (3x faster than the weighted sum).
assert all(weight == pow(3, i, 31) for i, weight in enumerate(WEIGHTS))
_BASE34 = str.maketrans({ch: "0123456789abcdefghijklmnopqrstuvwx"[i] for ch, i in _VALUES.items()})
MAX_NAME = 200
MAX_AMOUNT = Decimal(10**12)  # USD; anything larger is a typo (and would overflow the cents column)
# bidi controls and invisible characters: they would reorder or hide text on the public board
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


@dataclass(slots=True)
class Entry:
    row: int
    uscc: str
    name: str
    district_id: int
    cents: int
    eligible: bool
    contact_name: str | None
    mobile: str | None
    email: str | None


@dataclass(slots=True)
class RowError:
    row: int | None
    column: Any  # the file's header text, or a field's lazy label
    reason: Any  # a lazy message
    code: str = "invalid"
    value: str = ""  # what the cell held, for the report (never in the CLI's JSON)

    def public(self) -> dict[str, Any]:
        """The shape CONTRACT.md promises: {"row", "column", "reason"} (lazy: rendered when printed)."""
        return {"row": self.row, "column": self.column, "reason": self.reason}

    def stored(self) -> dict[str, Any]:
        """For a job's JSON column: translated again when a page shows it (`i18n.stored_text`)."""
        return stored_error(self.row, self.column, self.reason, self.code, self.value)


@dataclass
class CheckResult:
    header: Header | None = None
    entries: list[Entry] = field(default_factory=list)  # good rows, eligible or not
    pending: dict[int, Entry] = field(default_factory=dict)  # row -> entry; only the check digit is wrong
    errors: list[RowError] = field(default_factory=list)
    total: int = 0  # non-blank data rows

    @property
    def eligible(self) -> int:
        return sum(1 for e in self.entries if e.eligible)

    @property
    def ineligible(self) -> int:
        return sum(1 for e in self.entries if not e.eligible)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})

    def errors_without(self, accepted: Iterable[int]) -> list[RowError]:
        """The errors left once the check-digit rows `accepted` are taken as good."""
        rows = set(accepted) & set(self.pending)
        return [e for e in self.errors if not (e.row in rows and e.code == "check_digit")]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def district_aliases(districts: Iterable[tuple[int, str, str]]) -> dict[str, int]:
    """name_zh, name_en, and each without its suffix (区, District), normalised."""
    aliases: dict[str, int] = {}
    for district_id, name_zh, name_en in districts:
        for name in (name_zh, name_en):
            key = district_key(name)
            aliases.setdefault(key, district_id)
            for suffix in ("district", "newdistrict", "新区", "区"):
                if key.endswith(suffix) and len(key) > len(suffix) + 1:
                    aliases.setdefault(key[: -len(suffix)], district_id)
    return aliases


def district_key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def parse_amount(value: Any) -> tuple[int | None, Any, str]:
    """(cents, reason, code). Plain USD numbers: 8,000,000 / 8000000.00 / a numeric cell."""
    if isinstance(value, bool):
        return None, _l("出口额应为数字"), "amount"
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None, _l("出口额应为数字"), "amount"
        if abs(value) > MAX_AMOUNT:
            return None, _too_large(), "amount"
        amount = Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        text = _text(value)
        if not text:
            return None, _l("出口额必须填写"), "required"
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        text = text.replace(" ", "")
        if _PLAIN.fullmatch(text) or _GROUPED.fullmatch(text):
            amount = Decimal(text.replace(",", ""))
        elif text.startswith(("-", "−")) and (_PLAIN.fullmatch(text[1:]) or _GROUPED.fullmatch(text[1:])):
            return None, _l("出口额不能为负数：%(amount)s", amount=text), "amount"
        elif _CURRENCY.search(text):
            return None, _l("出口额只填美元数字，不要带货币符号或单位：%(amount)s", amount=text), "amount"
        elif _TOO_PRECISE.fullmatch(text):
            return None, _l("出口额最多保留两位小数：%(amount)s", amount=text), "amount"
        else:
            return None, _l("出口额不是数字：%(amount)s", amount=text), "amount"
    if amount < 0:
        return None, _l("出口额不能为负数：%(amount)s", amount=str(amount)), "amount"
    if amount > MAX_AMOUNT:
        return None, _too_large(), "amount"
    try:
        return int(amount * 100), None, ""
    except (InvalidOperation, ValueError):
        return None, _l("出口额不是数字"), "amount"


def _too_large() -> Any:
    return _l("出口额超出范围：应在 0 至 %(max)s 美元之间", max=f"{MAX_AMOUNT:,.0f}")


def fast_uscc(raw: Any) -> tuple[str, Any]:
    """(normalised code, problem or None); the common, already clean case costs ~1 µs."""
    code = raw if raw.__class__ is str else _text(raw)
    if not _USCC_OK.fullmatch(code):
        code = normalize_uscc(code)
        if not _USCC_OK.fullmatch(code):
            return code, uscc_problem(code) if code else None
    if (int(code[16::-1].translate(_BASE34), 34) + _VALUES[code[17]]) % 31:
        expected = check_digit(code[:17])
        return code, _l(
            "校验位错误：应为 %(expected)s，实为 %(found)s（若营业执照上的代码确实如此，可在网页导入中逐行确认）",
            expected=expected,
            found=code[17],
        )
    return code, None


class Validator:
    """Checks rows against one programme's threshold and the districts table."""

    def __init__(
        self, header: Header, *, threshold_cents: int, districts: dict[str, int], district_names: list[DataPair]
    ):
        self.header = header
        self.threshold = threshold_cents
        self.districts = districts
        self.district_names = listing(district_names)
        cols = header.columns
        self.i_uscc = cols["uscc"]
        self.i_name = cols["name"]
        self.i_district = cols["district"]
        self.i_amount = cols["amount"]
        self.i_contact = cols.get("contact_name")
        self.i_mobile = cols.get("mobile")
        self.i_email = cols.get("email")
        self.used = [i for i in cols.values()]
        self.t = {f: header.title(f) for f in FIELDS}
        self.seen: dict[str, int] = {}  # USCC -> first row
        self.repeats: dict[str, list[int]] = {}  # USCC -> rows, when more than one
        self.problems = False

    @property
    def clean(self) -> bool:
        """No problem found so far (no duplicate either): what was fed may be written."""
        return not self.repeats and not self.problems

    def feed(self, rows: Iterable[tuple[int, list[Any]]], result: CheckResult) -> None:
        """Check some rows: good ones are appended to result.entries in order, bad ones add
        errors (or a pending entry). Call `finish` after the last rows."""
        seen = self.seen
        repeats = self.repeats
        width = max(self.used) + 1
        used = self.used
        i_uscc = self.i_uscc
        row = self.row
        entries = result.entries
        errors = result.errors
        for number, cells in rows:
            if len(cells) < width:
                cells = list(cells) + [""] * (width - len(cells))
            first = cells[i_uscc]
            if first.__class__ is not str or not first or first[0].isspace():  # not the common case
                for i in used:
                    value = cells[i]
                    if value is not None and (value.__class__ is not str or value.strip()):
                        break
                else:
                    continue  # blank line
            result.total += 1
            entry, problems = row(number, cells)
            if entry is not None:
                earlier = seen.setdefault(entry.uscc, number)
                if earlier != number:
                    repeats.setdefault(entry.uscc, [earlier]).append(number)
                if problems:
                    result.pending[number] = entry
                else:
                    entries.append(entry)
            if problems:
                errors.extend(problems)
                self.problems = True

    def finish(self, result: CheckResult) -> None:
        self._duplicates(self.repeats, result)
        result.errors.sort(key=lambda e: e.row or 0)

    def _duplicates(self, groups: dict[str, list[int]], result: CheckResult) -> None:
        if not groups:
            return
        bad: set[int] = set()
        for uscc, rows in groups.items():
            for number in rows:
                others = listing(r for r in rows if r != number)
                result.errors.append(
                    RowError(
                        number,
                        self.t["uscc"],
                        _l("统一社会信用代码 %(uscc)s 在文件中重复：与第 %(rows)s 行相同", uscc=uscc, rows=others),
                        "duplicate",
                        uscc,
                    )
                )
                bad.add(number)
        result.entries = [e for e in result.entries if e.row not in bad]
        for number in bad:
            result.pending.pop(number, None)

    def row(self, number: int, cells: list[Any]) -> tuple[Entry | None, list[RowError] | None]:
        """(entry or None, errors or None). The entry comes with errors only when every error is
        the check digit (a "pending" row staff may accept)."""
        errors: list[RowError] | None = None
        t = self.t
        raw_uscc = cells[self.i_uscc]
        uscc, problem = fast_uscc(raw_uscc)
        if not uscc:
            errors = [RowError(number, t["uscc"], _l("统一社会信用代码必须填写"), "required")]
        elif problem is not None:
            code = "check_digit" if _USCC_OK.fullmatch(uscc) else "uscc"  # 18 good characters: only the check digit
            if raw_uscc.__class__ in (int, float):  # Excel keeps 15 digits of a number: the rest is lost
                code = "uscc"
                problem = _l("统一社会信用代码被 Excel 存成了数字，后几位可能已丢失：请把该列设为“文本”后重新填写")
            errors = [RowError(number, t["uscc"], problem, code, _shown(raw_uscc))]
        name = cells[self.i_name]
        name = name.strip() if name.__class__ is str else _text(name)
        if not name:
            errors = _add(errors, number, t["name"], _l("企业名称必须填写"), "required")
        elif len(name) > MAX_NAME:
            reason = _l("企业名称过长（最多 %(n)s 字）", n=MAX_NAME)
            errors = _add(errors, number, t["name"], reason, "name", name)
        elif _INVISIBLE.search(name):
            reason = _l("企业名称含有不可见字符或文字方向控制符，请删除后重新填写")
            shown = _INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", name)
            errors = _add(errors, number, t["name"], reason, "name", shown)
        elif "  " in name or "\n" in name or "\t" in name:
            name = " ".join(name.split())
        raw = cells[self.i_district]
        raw = raw.strip() if raw.__class__ is str else _text(raw)
        district_id = self.districts.get(raw)
        if district_id is None:
            district_id = self.districts.get(district_key(raw))
            if district_id is None:
                if raw:
                    reason = _l("所属区“%(raw)s”不是深圳市的区，应为：%(names)s", raw=raw, names=self.district_names)
                    errors = _add(errors, number, t["district"], reason, "district", raw)
                else:
                    errors = _add(errors, number, t["district"], _l("所属区必须填写"), "required")
        value = cells[self.i_amount]
        cents: int | None = None
        if value.__class__ is float and value >= 0 and value <= 1e12:
            scaled = value * 100
            cents = round(scaled)
            if abs(scaled - cents) > 1e-6:
                cents = None  # more than two decimals: let parse_amount round it half-up
        if cents is None:
            cents, problem, code = parse_amount(value)
            if problem is not None:
                errors = _add(errors, number, t["amount"], problem, code, _shown(value))
        contact = mobile = email = None
        if self.i_contact is not None:
            value = cells[self.i_contact]
            contact = (value.strip() if value.__class__ is str else _text(value))[:64] or None
        if self.i_mobile is not None:
            value = cells[self.i_mobile]
            mobile = value.strip() if value.__class__ is str else _text(value)
            if not (mobile.isdecimal() and 5 <= len(mobile) <= 20):  # digits only: the common case
                mobile = mobile.translate(_PHONE_STRIP)
                if mobile and not _PHONE.fullmatch(mobile):
                    reason = _l("手机号码格式不正确：%(mobile)s", mobile=mobile)
                    errors = _add(errors, number, t["mobile"], reason, "mobile", mobile)
            mobile = mobile or None
        if self.i_email is not None:
            value = cells[self.i_email]
            email = (value.strip() if value.__class__ is str else _text(value)) or None
            if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
                reason = _l("邮箱格式不正确：%(email)s", email=email)
                errors = _add(errors, number, t["email"], reason, "email", email)
        if errors is not None and any(e.code != "check_digit" for e in errors):
            return None, errors
        assert district_id is not None
        assert cents is not None
        return Entry(number, uscc, name, district_id, cents, cents <= self.threshold, contact, mobile, email), errors


def _shown(value: Any) -> str:
    return _text(value)[:200]


def _add(
    errors: list[RowError] | None, row: int, column: Any, reason: Any, code: str, value: str = ""
) -> list[RowError]:
    error = RowError(row, column, reason, code, value[:200])
    if errors is None:
        return [error]
    errors.append(error)
    return errors
