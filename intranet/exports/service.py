"""Exports of rosters, policies and losses to .csv and .xlsx — streamed, audited and safe from
formula injection: text that a spreadsheet would run as a formula is prefixed with a quote, while
numbers stay numbers."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ..actors import Actor
from ..audit import service as audit
from ..clock import shanghai
from ..db_tx import transactional
from ..districts.models import District
from ..enterprises.models import Enterprise
from ..errors import NotFound
from ..extensions import db
from ..i18n import current_language
from ..losses.models import LossReport
from ..losses.rules import CAUSES
from ..losses.service import STATUS_LABELS as LOSS_STATUS
from ..policies.models import Policy
from ..policies.service import STATUS_LABELS as POLICY_STATUS
from ..programmes.models import Programme
from ..roster.models import Roster, RosterEntry
from ..security import ensure_role

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("roster", "policies", "losses")
FORMATS = ("csv", "xlsx")
EXPORTERS = ("bureau", "insurer")
CHUNK = 64 * 1024
YIELD_PER = 2000


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet will evaluate: text starting with = + - @ tab or CR gets a
    leading single quote. Numbers, dates and booleans are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# Headers and labels are in the language of the page the export was asked from.
ENTRY_STATUS: dict[str, LazyString] = {"listed": _l("在册"), "removed": _l("已移除")}
ROSTER_STATUS: dict[str, LazyString] = {"draft": _l("草稿"), "notice": _l("公示中"), "confirmed": _l("已确认")}


@dataclass
class Column:
    header: LazyString
    kind: str = "text"  # text | money | int | date | datetime | bool
    labels: dict[str, LazyString] | None = None  # stored code → what the spreadsheet shows

    def shown(self, value: Any) -> Any:
        if self.labels and isinstance(value, str):
            label = self.labels.get(value)
            return value if label is None else str(label)
        return value


def _district_name() -> Any:
    """The district's name in the export's language (data kept in both)."""
    if current_language() == "en":
        return func.coalesce(func.nullif(District.name_en, ""), District.name_zh)
    return District.name_zh


def _yes_no(value: Any) -> str:
    return _("是") if value else _("否")


@dataclass
class Dataset:
    kind: str
    programme: Programme
    columns: list[Column]
    stmt: Select[*tuple[Any, ...]]
    progress: Callable[[int], None] | None = None  # told how many rows are written, every YIELD_PER rows

    @property
    def filename(self) -> str:
        return f"tongbao-{self.kind}-{self.programme.year}"

    def count(self) -> int:
        return int(db.session.scalar(select(func.count()).select_from(self.stmt.order_by(None).subquery())) or 0)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Rows straight from a server-side cursor, a batch at a time (never the whole table)."""
        result = db.session.execute(self.stmt.execution_options(yield_per=YIELD_PER))
        for n, row in enumerate(result, start=1):
            yield tuple(row)
            if self.progress is not None and n % YIELD_PER == 0:
                self.progress(n)


def _roster(programme: Programme) -> Dataset:
    columns = [
        Column(_l("统一社会信用代码")),
        Column(_l("企业名称")),
        Column(_l("所属区")),
        Column(_l("出口额（美元）"), "money"),
        Column(_l("符合条件"), "bool"),
        Column(_l("名单状态"), labels=ENTRY_STATUS),
        Column(_l("名单批次"), "int"),
        Column(_l("名单阶段"), labels=ROSTER_STATUS),
        Column(_l("联系人")),
        Column(_l("手机")),
        Column(_l("邮箱")),
    ]
    stmt = (
        select(
            RosterEntry.uscc,
            RosterEntry.name,
            _district_name(),
            RosterEntry.export_amount_usd,
            RosterEntry.eligible,
            RosterEntry.status,
            Roster.seq,
            Roster.status,
            Enterprise.contact_name,
            Enterprise.mobile,
            Enterprise.email,
        )
        .join(Roster, Roster.id == RosterEntry.roster_id)
        .join(Enterprise, Enterprise.id == RosterEntry.enterprise_id)
        .outerjoin(District, District.id == RosterEntry.district_id)
        .where(RosterEntry.programme_id == programme.id)
        .order_by(Roster.seq, RosterEntry.id)
    )
    return Dataset("roster", programme, columns, stmt)


def _policies(programme: Programme) -> Dataset:
    columns = [
        Column(_l("保单号")),
        Column(_l("统一社会信用代码")),
        Column(_l("企业名称")),
        Column(_l("所属区")),
        Column(_l("状态"), labels=POLICY_STATUS),
        Column(_l("领取时间"), "datetime"),
        Column(_l("截止前领取"), "bool"),
        Column(_l("签发日期"), "date"),
        Column(_l("保险起期"), "date"),
        Column(_l("保险止期"), "date"),
        Column(_l("撤销原因")),
    ]
    stmt = (
        select(
            Policy.policy_no,
            Enterprise.uscc,
            Enterprise.name,
            _district_name(),
            Policy.status,
            Policy.claimed_at,
            Policy.claimed_on_time,
            Policy.issue_date,
            Policy.cover_start,
            Policy.cover_end,
            Policy.revoked_reason,
        )
        .join(Enterprise, Enterprise.id == Policy.enterprise_id)
        .outerjoin(District, District.id == Enterprise.district_id)
        .where(Policy.programme_id == programme.id)
        .order_by(Policy.id)
    )
    return Dataset("policies", programme, columns, stmt)


def _losses(programme: Programme) -> Dataset:
    columns = [
        Column(_l("案件号"), "int"),
        Column(_l("保单号")),
        Column(_l("统一社会信用代码")),
        Column(_l("企业名称")),
        Column(_l("买方名称")),
        Column(_l("买方国家")),
        Column(_l("原因"), labels=CAUSES),
        Column(_l("状态"), labels=LOSS_STATUS),
        Column(_l("发票金额（美元）"), "money"),
        Column(_l("属于保险责任"), "bool"),
        Column(_l("赔款估算（美元）"), "money"),
        Column(_l("已赔付（美元）"), "money"),
        Column(_l("报案时间"), "datetime"),
        Column(_l("决定时间"), "datetime"),
    ]
    stmt = (
        select(
            LossReport.id,
            Policy.policy_no,
            Enterprise.uscc,
            Enterprise.name,
            LossReport.buyer_name,
            LossReport.buyer_country,
            LossReport.cause,
            LossReport.status,
            LossReport.invoice_total_usd,
            LossReport.covered,
            LossReport.estimate_usd,
            LossReport.paid_usd,
            LossReport.reported_at,
            LossReport.decided_at,
        )
        .join(Policy, Policy.id == LossReport.policy_id)
        .join(Enterprise, Enterprise.id == LossReport.enterprise_id)
        .where(Policy.programme_id == programme.id)
        .order_by(LossReport.id)
    )
    return Dataset("losses", programme, columns, stmt)


def dataset(kind: str, programme: Programme) -> Dataset:
    builders = {"roster": _roster, "policies": _policies, "losses": _losses}
    if kind not in builders:
        raise NotFound(_l("没有这种导出：%(kind)s", kind=kind), code="export_not_found")
    return builders[kind](programme)


# the audit summary is stored text (Chinese, like every summary): the kind of export by name
EXPORT_NAMES = {"roster": "名单", "policies": "保单", "losses": "报损案件"}


@transactional
def record_export(actor: Actor, data: Dataset, fmt: str, *, now: datetime) -> int:
    """Audit who exported what (before the file is produced); returns the number of rows."""
    ensure_role(actor, *EXPORTERS)
    if fmt not in FORMATS:
        raise NotFound(_l("不支持的格式：%(fmt)s", fmt=fmt), code="export_not_found")
    rows = data.count()
    audit.record(
        actor,
        f"export.{data.kind}",
        object_type="programmes",
        object_id=data.programme.id,
        summary=f"{data.programme.year} {EXPORT_NAMES.get(data.kind, data.kind)} .{fmt}（{rows} 行）",
        changes={"kind": data.kind, "programme": data.programme.year, "format": fmt, "rows": rows},
    )
    return rows


# --- writers -----------------------------------------------------------------------------------


def _text(value: Any, kind: str) -> Any:
    """A cell as CSV text; numbers are written as plain numbers (no thousands separators)."""
    if value is None:
        return ""
    if kind == "bool":
        return _yes_no(value)
    if isinstance(value, datetime):
        return shanghai(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return str(value)
    return neutralise(str(value))


def csv_chunks(data: Dataset) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel reads Chinese correctly), streamed in ~64 KB chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([str(c.header) for c in data.columns])
    for row in data.rows():
        writer.writerow([_text(c.shown(v), c.kind) for v, c in zip(row, data.columns, strict=True)])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(data: Dataset, target: IO[bytes]) -> None:
    """An .xlsx built row by row in constant memory; strings are only ever written as strings."""
    import xlsxwriter  # loaded with the first export, not at app start-up (20 ms)

    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "tmpdir": tempfile.gettempdir(),
        },
    )
    sheet = workbook.add_worksheet(data.kind)
    bold = workbook.add_format({"bold": True})
    formats = {
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    for col, column in enumerate(data.columns):
        sheet.write_string(0, col, str(column.header), bold)
        sheet.set_column(col, col, 22 if column.kind == "text" else 16)
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(data.rows(), start=1):
        for col, (value, column) in enumerate(zip(row, data.columns, strict=True)):
            _xlsx_cell(sheet, r, col, column.shown(value), column.kind, formats)
    workbook.close()


def _xlsx_cell(sheet: Any, r: int, c: int, value: Any, kind: str, formats: dict[str, Any]) -> None:
    if value is None:
        sheet.write_blank(r, c, None)
    elif kind == "bool":
        sheet.write_string(r, c, _yes_no(value))
    elif isinstance(value, datetime):
        sheet.write_datetime(r, c, shanghai(value).replace(tzinfo=None), formats["datetime"])
    elif isinstance(value, date):
        sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), formats["date"])  # noqa: DTZ001
    elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        sheet.write_number(r, c, float(value), formats["money"] if kind == "money" else None)
    else:
        sheet.write_string(r, c, neutralise(str(value)))
