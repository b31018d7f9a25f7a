"""The working calendar page (/staff/calendar): every staff member may read it; insurer staff enter
holidays and the weekend days worked in their place, one at a time or pasted as lines."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..actors import current_actor
from ..clock import now, shanghai_date
from ..errors import ServiceError
from ..forms_support import attach_error
from ..security import roles_required, staff_required
from . import service
from .forms import DayForm, ImportForm, RemoveForm

bp = Blueprint("workdays", __name__, url_prefix="/staff/calendar")

YEARS_SHOWN = 3  # links to the years around the one shown


def _year_arg() -> int:
    try:
        year = int(request.args.get("year") or shanghai_date(now()).year)
    except ValueError:
        year = shanghai_date(now()).year
    return min(max(year, 2000), 2100)


def _page(year: int, day_form: DayForm | None = None, import_form: ImportForm | None = None, status: int = 200) -> Any:
    years = sorted({*service.years_entered(), *range(year - 1, year + YEARS_SHOWN - 1)})
    return render_template(
        "workdays/index.html",
        year=year,
        years=years,
        days=service.days_of(year),
        can_edit=current_user.role in service.EDITORS,
        day_form=day_form or DayForm(formdata=None),
        import_form=import_form or ImportForm(formdata=None),
        remove_form=RemoveForm(formdata=None),
    ), status


@bp.get("")
@staff_required
def index() -> Any:
    return _page(_year_arg())


@bp.post("/days")
@roles_required(*service.EDITORS)
def save_day() -> Any:
    form = DayForm()
    year = _year_arg()
    if form.validate_on_submit():
        working = form.kind.data == "workday"
        entry = service.DayInput(form.day.data, working, form.name_zh.data or "", form.name_en.data or "")
        try:
            service.save_day(current_actor(), entry, now=now())
        except ServiceError as exc:
            attach_error(form, exc, "name_zh")
        else:
            flash(_("已保存 %(day)s", day=entry.day.isoformat()), "success")
            return redirect(url_for("workdays.index", year=entry.day.year))
    return _page(year, day_form=form, status=422)


@bp.post("/import")
@roles_required(*service.EDITORS)
def import_lines() -> Any:
    form = ImportForm()
    year = _year_arg()
    if form.validate_on_submit():
        try:
            entries = service.parse_lines(form.lines.data or "")
            count = service.import_days(current_actor(), entries, now=now())
        except ServiceError as exc:
            attach_error(form, exc, "lines")
        else:
            flash(_("已导入 %(n)s 天", n=count), "success")
            return redirect(url_for("workdays.index", year=entries[0].day.year))
    return _page(year, import_form=form, status=422)


@bp.post("/days/<day>/delete")
@roles_required(*service.EDITORS)
def remove_day(day: str) -> Any:
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not RemoveForm().validate_on_submit():
        abort(400)
    service.remove_day(current_actor(), when, now=now())
    flash(_("已删除 %(day)s，当天按周一至周五计算", day=when.isoformat()), "success")
    return redirect(url_for("workdays.index", year=when.year))
