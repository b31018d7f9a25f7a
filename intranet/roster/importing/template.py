"""The import template the bureau downloads: the headers the import reads, one example row, and the
rules in a second sheet (XlsxWriter). The example passes every check, so a file filled in from it
imports as it is."""

from __future__ import annotations

import io
from decimal import Decimal

from flask_babel import gettext as _

from ...programmes.models import Programme
from ...uscc import check_digit

HEADERS = ("统一社会信用代码", "企业名称", "所属区", "出口额（美元）", "联系人", "手机", "邮箱")
EXAMPLE_FIRST17 = "91440300MA5F00001"


def example_row() -> list[str]:
    return [
        EXAMPLE_FIRST17 + check_digit(EXAMPLE_FIRST17),
        "深圳市示例进出口有限公司",
        "南山区",
        "1,250,000.00",
        "张三",
        "13800000000",
        "finance@example.com",
    ]


def rules(programme: Programme | None, districts: list[str]) -> list[tuple[str, str]]:
    threshold = f"{programme.threshold_usd:,.2f}" if programme is not None else f"{Decimal('8000000'):,.2f}"
    year = str(programme.export_year) if programme is not None else ""
    return [
        (_("统一社会信用代码"), _("必填；18位，校验位须正确（GB 32100-2015）；全角字符、空格和小写会自动规范")),
        (_("企业名称"), _("必填；不能含控制字符、零宽字符或文字方向控制符")),
        (_("所属区"), _("必填；以下之一：%(names)s", names="、".join(districts))),
        (
            _("出口额（美元）"),
            _(
                "必填；%(year)s 年出口额，单位为美元（不要写万美元、人民币等），如 8,000,000 或 8000000.00；"
                "超过 %(threshold)s 美元的企业不列入名单",
                year=year,
                threshold=threshold,
            ),
        ),
        (_("联系人、手机、邮箱"), _("选填；用于发送账号激活邀请和领取提醒")),
        (_("其他"), _("同一文件中同一统一社会信用代码只能出现一次；表头可以是中文或英文，顺序不限，其他列会被忽略")),
    ]


def build(programme: Programme | None, districts: list[str]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(_("名单"))
    sheet.write_row(0, 0, HEADERS, bold)
    for column, value in enumerate(example_row()):
        sheet.write_string(1, column, value, text)
    sheet.set_column(0, 0, 22, text)
    sheet.set_column(1, 1, 34)
    sheet.set_column(2, 6, 16)
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet(_("填写说明"))
    notes.write_row(0, 0, [_("列"), _("要求")], bold)
    for index, (column_name, rule) in enumerate(rules(programme, districts), start=1):
        notes.write_string(index, 0, column_name)
        notes.write_string(index, 1, rule)
    notes.write_string(8, 0, _("第二行是示例，导入前请删除或替换。"))
    notes.set_column(0, 0, 22)
    notes.set_column(1, 1, 100)
    workbook.close()
    return buffer.getvalue()
