"""The working calendar (工作日历): Monday to Friday in Asia/Shanghai, except the days insurer staff
enter as the State Council publishes them each year — public holidays (not worked, whatever the
weekday) and the weekend days worked in their place (调休). Deadlines counted in working days (a
consultation's reply time) read it; a year nobody entered is plain Monday to Friday."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from ..actors import Actor
from ..audit import service as audit
from ..clock import SHANGHAI, shanghai, start_of_day
from ..db_tx import transactional
from ..errors import Invalid, NotFound
from ..extensions import db
from ..security import ensure_role
from .models import CalendarDay

EDITORS = ("insurer",)
# what a line of an import says of its day: 休 a holiday, 班 a weekend day worked (and their English)
KINDS = {"休": False, "假": False, "holiday": False, "班": True, "workday": True}
NAME_ZH_MAX, NAME_EN_MAX = 32, 64
IMPORT_MAX_LINES = 400  # a year holds about 35 exceptions


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked: the entered exceptions (day → worked), else Monday to Friday."""

    exceptions: Mapping[date, bool] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        return self.exceptions.get(day, day.weekday() < 5)

    def deadline(self, since: datetime, days: int) -> datetime:
        """The instant `days` working days after `since` (Shanghai calendar): the same time of day on
        the `days`-th following working day; from a day off, counting starts at the next working
        day's 00:00 (asked on Saturday with 2 days to wait: due on Wednesday at 00:00)."""
        local = shanghai(since)
        if not self.is_working_day(local.date()):
            day = local.date()
            while not self.is_working_day(day):
                day += timedelta(days=1)
            local = start_of_day(day)
        day, left = local.date(), days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return datetime.combine(day, local.time(), tzinfo=SHANGHAI)


def work_calendar() -> WorkCalendar:
    """The calendar as entered (the table is small: about 35 days a year)."""
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.working))
    return WorkCalendar({day: working for day, working in rows})


def days_of(year: int) -> list[CalendarDay]:
    stmt = (
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day < date(year + 1, 1, 1))
        .order_by(CalendarDay.day)
    )
    return list(db.session.scalars(stmt))


def years_entered() -> list[int]:
    days = db.session.scalars(select(CalendarDay.day))
    return sorted({day.year for day in days})


@dataclass(frozen=True)
class DayInput:
    day: date
    working: bool
    name_zh: str
    name_en: str = ""


def checked(entry: DayInput, where: Any = "") -> DayInput:
    """The entry, names trimmed; Invalid (prefixed with `where`, e.g. "第 3 行：") when it cannot be a
    calendar day: a day worked in place of a holiday falls on a weekend, and it has a Chinese name."""
    name_zh, name_en = (entry.name_zh or "").strip(), (entry.name_en or "").strip()
    if not name_zh:
        raise Invalid(_l("%(where)s请填写节日名称（如“国庆节”）", where=where), field="name_zh")
    if len(name_zh) > NAME_ZH_MAX or len(name_en) > NAME_EN_MAX:
        raise Invalid(_l("%(where)s节日名称过长", where=where), field="name_zh")
    if entry.working and entry.day.weekday() < 5:
        raise Invalid(
            _l("%(where)s%(day)s 是工作日，调休上班日应为周六或周日", where=where, day=entry.day.isoformat()),
            field="day",
        )
    return DayInput(entry.day, entry.working, name_zh, name_en)


def _put(entry: DayInput, actor: Actor, now: datetime) -> CalendarDay:
    row = db.session.get(CalendarDay, entry.day) or CalendarDay(day=entry.day)
    row.working, row.name_zh, row.name_en = entry.working, entry.name_zh, entry.name_en
    row.updated_by, row.updated_at = actor.id, now
    db.session.add(row)
    return row


@transactional
def save_day(actor: Actor, entry: DayInput, *, now: datetime) -> CalendarDay:
    """Enter (or correct) one day; audited."""
    ensure_role(actor, *EDITORS)
    entry = checked(entry)
    row = _put(entry, actor, now)
    audit.record(
        actor,
        "calendar.day",
        object_type="calendar_days",
        object_id=entry.day.isoformat(),
        summary=f"{entry.day.isoformat()} {entry.name_zh}",
        changes={"working": entry.working, "name_zh": entry.name_zh, "name_en": entry.name_en},
    )
    return row


@transactional
def remove_day(actor: Actor, day: date, *, now: datetime) -> None:
    """The day is plain Monday-to-Friday again; audited."""
    ensure_role(actor, *EDITORS)
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise NotFound(_l("日历中没有 %(day)s", day=day.isoformat()), code="calendar_day_not_found")
    db.session.execute(delete(CalendarDay).where(CalendarDay.day == day))
    audit.record(actor, "calendar.remove", object_type="calendar_days", object_id=day.isoformat(), summary=row.name_zh)


def parse_lines(text: str) -> list[DayInput]:
    """Lines of `date,kind,name_zh[,name_en]` (kind: 休 or 班; a header line and blank lines are
    skipped; Chinese commas are accepted), as pasted from the State Council's notice or a CSV file.
    Invalid names the first wrong line."""
    rows = list(csv.reader(io.StringIO((text or "").replace("，", ","))))
    if len(rows) > IMPORT_MAX_LINES:
        raise Invalid(_l("一次最多导入 %(n)s 行", n=IMPORT_MAX_LINES), field="lines")
    entries: list[DayInput] = []
    seen: set[date] = set()
    for number, cells in enumerate(rows, start=1):
        cells = [cell.strip() for cell in cells]
        if not any(cells) or (number == 1 and cells[0].lower() in {"日期", "date"}):
            continue
        where = _l("第 %(n)s 行：", n=number)  # lazy: shown in the language of whoever reads it
        if len(cells) < 3:
            raise Invalid(_l("%(where)s应为“日期,休或班,名称”", where=where), field="lines")
        try:
            day = date.fromisoformat(cells[0])
        except ValueError:
            raise Invalid(_l("%(where)s日期应写作 2026-10-01", where=where), field="lines") from None
        if cells[1].lower() not in KINDS:
            raise Invalid(_l("%(where)s类型应为“休”或“班”", where=where), field="lines")
        if day in seen:
            raise Invalid(_l("%(where)s%(day)s 重复", where=where, day=day.isoformat()), field="lines")
        seen.add(day)
        name_en = cells[3] if len(cells) > 3 else ""
        entries.append(checked(DayInput(day, KINDS[cells[1].lower()], cells[2], name_en), where))
    if not entries:
        raise Invalid(_l("没有可导入的日期"), field="lines")
    return entries


@transactional
def import_days(actor: Actor, entries: Iterable[DayInput], *, now: datetime) -> int:
    """Enter every day at once, or none (each checked first); audited as one import."""
    ensure_role(actor, *EDITORS)
    checked_entries = [checked(entry) for entry in entries]
    for entry in checked_entries:
        _put(entry, actor, now)
    years = sorted({entry.day.year for entry in checked_entries})
    audit.record(
        actor,
        "calendar.import",
        object_type="calendar_days",
        summary=", ".join(str(y) for y in years),
        changes={"days": len(checked_entries)},
    )
    return len(checked_entries)
