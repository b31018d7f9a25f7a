"""Roster spreadsheets, as a bureau officer uploads them (.xlsx and CSV bytes)."""

from __future__ import annotations

import csv
import io

import xlsxwriter

from .factories import make_uscc

ZH = ["序号", "统一社会信用代码", "企业名称", "所属区", "出口额（美元）", "联系人", "手机", "邮箱"]


def row(n: int, amount: object = "1,000,000.00", *, code: str | None = None, district: str = "南山区", **extra: object):
    """Row n of a valid roster sheet (the ZH columns)."""
    name = f"深圳市测试{n}号科技有限公司"
    return [n, code or make_uscc(n), name, district, amount, "张三", "13800000000", f"e{n}@x.cn"]


def xlsx_bytes(rows: list[list[object]], headers: list[str] = ZH, *, title: str | None = None) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    offset = 0
    if title:
        sheet.write_string(0, 0, title)
        offset = 1
    sheet.write_row(offset, 0, headers)
    for i, values in enumerate(rows, start=offset + 1):
        for j, value in enumerate(values):
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(i, j, value)
            elif value is not None:
                sheet.write_string(i, j, str(value))
    book.close()
    return buffer.getvalue()


def csv_bytes(rows: list[list[object]], headers: list[str] = ZH, *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)
