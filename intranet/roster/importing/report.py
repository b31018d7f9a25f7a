"""The downloadable error report (.csv for any tool, .xlsx for Excel), formula-safe."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...i18n import stored_text

HEADERS = (_l("行"), _l("列"), _l("内容"), _l("错误原因"))  # as on the report page, in its language
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _rows(errors: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            e.get("row") if e.get("row") is not None else "",
            neutralise(stored_text(e, "column")),
            neutralise(e.get("value") or ""),
            neutralise(stored_text(e, "reason")),
        )
        for e in errors
    ]


def as_csv(errors: list[dict[str, Any]]) -> bytes:
    """UTF-8 with BOM, so Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(h) for h in HEADERS])
    writer.writerows(_rows(errors))
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(errors: list[dict[str, Any]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("错误"))
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, [str(h) for h in HEADERS], bold)
    for index, (row, column, value, reason) in enumerate(_rows(errors), start=1):
        if row != "":
            sheet.write_number(index, 0, row)
        sheet.write_string(index, 1, column)
        sheet.write_string(index, 2, value)
        sheet.write_string(index, 3, reason)
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 2, 24)
    sheet.set_column(3, 3, 90)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


OVER_HEADERS = (_l("行"), _l("统一社会信用代码"), _l("企业名称"), _l("出口额（美元）"))


def _over_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (r.get("row") or "", neutralise(r.get("uscc") or ""), neutralise(r.get("name") or ""),
         f"{int(r.get('cents') or 0) / 100:,.2f}")
        for r in rows
    ]  # fmt: skip


def over_threshold_csv(rows: list[dict[str, Any]]) -> bytes:
    """The rows above the threshold (kept off the roster), for the bureau to check."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(h) for h in OVER_HEADERS])
    writer.writerows(_over_rows(rows))
    return buffer.getvalue().encode("utf-8-sig")


def over_threshold_xlsx(rows: list[dict[str, Any]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("超过门槛"))
    sheet.write_row(0, 0, [str(h) for h in OVER_HEADERS], workbook.add_format({"bold": True}))
    for index, (row, uscc, name, amount) in enumerate(_over_rows(rows), start=1):
        if row != "":
            sheet.write_number(index, 0, row)
        sheet.write_string(index, 1, uscc)
        sheet.write_string(index, 2, name)
        sheet.write_string(index, 3, amount)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, 3, 18)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
