"""The working calendar: insurer staff enter the year's public holidays and the weekend days worked
in their place; a consultation's reply time (the programme's `consultation_reply_days` working days)
waits through a holiday and counts a make-up Sunday; bad lines import nothing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from intranet.actors import NOTIFIER
from intranet.clock import SHANGHAI
from intranet.consultations.models import Consultation
from intranet.consultations.overdue import alert_overdue
from intranet.extensions import db
from intranet.programmes.models import Programme
from intranet.workdays.models import CalendarDay

from . import factories as f
from .helpers import login, soup, submit, text_of
from .test_consultations import ask, messages, setup_people, staff_logins

# the 2024 National Day holiday as the State Council published it: 1–7 October off, Sunday
# 29 September and Saturday 12 October worked in their place
NATIONAL_DAY_2024 = """日期,类型,名称,英文名称
2024-09-29,班,国庆节调休,National Day (make-up working day)
2024-10-01,休,国庆节,National Day
2024-10-02,休,国庆节,National Day
2024-10-03,休,国庆节,National Day
2024-10-04,休,国庆节,National Day
2024-10-07,休,国庆节,National Day
2024-10-12,班,国庆节调休,National Day (make-up working day)
"""


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def import_national_day(insurer):  # type: ignore[no-untyped-def]
    response = submit(insurer, "/staff/calendar?year=2024", {"lines": NATIONAL_DAY_2024}, form="form[action*=import]")
    assert response.status_code == 200
    return response


def test_insurer_staff_enter_the_holidays_and_everyone_on_staff_reads_them(app, freeze):
    freeze("2024-09-20T10:00:00+08:00")
    insurer, bureau = staff_logins(app)
    page = soup(import_national_day(insurer))
    assert "已导入 7 天" in page.get_text()
    rows = {tr["data-day"]: tr.get_text(" ", strip=True) for tr in page.select("table.calendar-days tr[data-day]")}
    assert list(rows) == sorted(rows) and len(rows) == 7
    assert "周日" in rows["2024-09-29"] and "班" in rows["2024-09-29"]
    assert "周二" in rows["2024-10-01"] and "休" in rows["2024-10-01"] and "国庆节" in rows["2024-10-01"]

    read = soup(bureau.get("/staff/calendar?year=2024"))
    assert len(read.select("table.calendar-days tr[data-day]")) == 7
    assert read.select("main form[method=post]") == []  # the bureau reads; the insurer keeps it

    removed = submit(insurer, "/staff/calendar?year=2024", form="tr[data-day='2024-10-07'] form")
    assert "当天按周一至周五计算" in text_of(removed)
    assert db.session.get(CalendarDay, date(2024, 10, 7)) is None
    token = soup(bureau.get("/staff/calendar?year=2024")).select_one("input[name=csrf_token]")["value"]
    assert bureau.post("/staff/calendar/days/2024-10-01/delete", data={"csrf_token": token}).status_code == 403
    assert db.session.get(CalendarDay, date(2024, 10, 1)) is not None
    enterprise, user = setup_people(1)
    outsider = app.test_client()
    login(outsider, user.email, f.PASSWORD)
    assert outsider.get("/staff/calendar").status_code == 403
    audit = text_of(insurer.get("/staff/audit/"))
    assert "导入节假日安排" in audit and "删除节假日或调休日" in audit


def test_an_import_with_one_wrong_line_imports_nothing_and_names_the_line(app, freeze):
    freeze("2024-09-20T10:00:00+08:00")
    insurer, _bureau = staff_logins(app)
    wrong_kind = "2024-10-01,休,国庆节\n2024-10-02,放,国庆节\n"
    response = submit(insurer, "/staff/calendar", {"lines": wrong_kind}, form="form[action*=import]")
    assert response.status_code == 422
    assert "第 2 行：类型应为“休”或“班”" in soup(response).select_one("#lines-error").get_text()
    weekday_worked = "2024-10-01,休,国庆节\n2024-10-08,班,国庆节调休\n"  # a Tuesday
    response = submit(insurer, "/staff/calendar", {"lines": weekday_worked}, form="form[action*=import]")
    assert response.status_code == 422
    assert "第 2 行：2024-10-08 是工作日，调休上班日应为周六或周日" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0

    one = submit(
        insurer,
        "/staff/calendar",
        {"day": "2024-10-03", "kind": "holiday", "name_zh": "国庆节", "name_en": "National Day"},
        form="form[action*=days]",
    )
    assert one.status_code == 200 and db.session.get(CalendarDay, date(2024, 10, 3)).name_zh == "国庆节"
    assert insurer.post("/staff/calendar/import", data={"lines": "2024-10-01,休,国庆节"}).status_code == 400  # CSRF


def asked_with_the_holidays_entered(app, client, freeze, moment: str):  # type: ignore[no-untyped-def]
    """The insurer's client, after the 2024 National Day holiday was entered, and a question asked at `moment`."""
    freeze("2024-09-20T10:00:00+08:00")
    insurer, _bureau = staff_logins(app)
    import_national_day(insurer)
    _enterprise, user = setup_people(2)
    login(client, user.email, f.PASSWORD)
    freeze(moment)
    ask(client)
    return insurer, db.session.scalar(select(Consultation))


def test_a_question_waits_through_the_national_day_holiday(app, client, freeze):
    insurer, row = asked_with_the_holidays_entered(app, client, freeze, "2024-09-30T10:00:00+08:00")  # a Monday
    # 1–7 October are off: the two working days are Tuesday 8 and Wednesday 9 October
    thread = soup(insurer.get(f"/staff/consultations/{row.id}"))
    assert thread.select_one(".consultation-deadline").get_text(strip=True).startswith("2024-10-09 10:00")
    assert alert_overdue(NOTIFIER, now=at(2024, 10, 8, 10)) == 0
    assert alert_overdue(NOTIFIER, now=at(2024, 10, 9, 10)) >= 1
    mail = next(m for m in messages("alert_consultation_overdue") if m.data["consultation_id"] == row.id)
    assert "已超过 2 个工作日未答复" in mail.subject


def test_a_make_up_sunday_counts_and_the_reply_time_is_a_programme_parameter(app, client, freeze):
    # a Friday: Sunday 29 September is worked
    insurer, row = asked_with_the_holidays_entered(app, client, freeze, "2024-09-27T10:00:00+08:00")
    deadline = soup(insurer.get(f"/staff/consultations/{row.id}")).select_one(".consultation-deadline")
    assert deadline.get_text(strip=True).startswith("2024-09-30 10:00")  # Sunday, then Monday

    programme = db.session.scalar(select(Programme).where(Programme.year == 2024))
    programme.consultation_reply_days = 3
    db.session.commit()
    assert "3 个工作日" in text_of(insurer.get(f"/staff/programmes/{programme.year}"))
    thread = soup(insurer.get(f"/staff/consultations/{row.id}"))
    assert thread.select_one(".consultation-deadline").get_text(strip=True).startswith("2024-10-08 10:00")
    assert alert_overdue(NOTIFIER, now=at(2024, 10, 8, 9, 59)) == 0
    assert alert_overdue(NOTIFIER, now=at(2024, 10, 8, 10)) >= 1
    mail = next(m for m in messages("alert_consultation_overdue") if m.data["consultation_id"] == row.id)
    assert "已超过 3 个工作日未答复" in mail.subject
    freeze("2024-10-08T10:00:00+08:00")
    overdue = soup(insurer.get(f"/staff/consultations/{row.id}")).select_one(".consultation-overdue")
    assert overdue.get_text(strip=True) == "已超过 3 个工作日未答复"


def test_the_calendar_command_imports_a_file_all_or_nothing(app, runner, tmp_path):
    good = tmp_path / "2024.csv"
    good.write_text(NATIONAL_DAY_2024, encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "imported 7 days" in result.output
    listed = runner.invoke(args=["calendar", "list", "--year", "2024", "--json"])
    assert '"day": "2024-09-29"' in listed.output and '"working": true' in listed.output

    bad = tmp_path / "bad.csv"
    bad.write_text("2025-01-01,休,元旦\n2025-13-01,休,不存在\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(bad)])
    assert result.exit_code == 1
    assert "Line 2" in result.output and "第" not in result.output
    assert db.session.get(CalendarDay, date(2025, 1, 1)) is None
