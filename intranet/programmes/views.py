"""Programmes (reference data): parameters, next year's copy, excluded countries.

Bureau staff edit parameters and create next year's programme; insurer staff maintain the excluded
countries; every staff member may read them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import confirmations
from ..clock import now
from ..countries import get_country
from ..errors import ServiceError
from ..forms_support import attach_error
from ..security import roles_required, staff_required
from . import publication, service
from .forms import ActionForm, ExcludeForm, ProgrammeForm

bp = Blueprint("programmes", __name__, url_prefix="/staff/programmes")


def _countries(codes: list[str]) -> list[Any]:
    return [get_country(code) for code in codes if get_country(code) is not None]


@bp.get("/")
@staff_required
def index() -> Any:
    stamp = now()
    rows = [(p, service.claim_phase(p, stamp)) for p in service.list_programmes()]
    return render_template("programmes/list.html", rows=rows)


def _show(programme: Any, exclude_form: ExcludeForm | None = None, status: int = 200) -> Any:
    years = {p.year for p in service.list_programmes()}
    return (
        render_template(
            "programmes/show.html",
            programme=programme,
            phase=service.claim_phase(programme, now()),
            excluded=_countries(programme.excluded_codes),
            exclude_form=exclude_form or ExcludeForm(),
            action_form=ActionForm(),
            can_copy=(programme.year + 1) not in years,
            can_edit=current_user.role in service.PARAMETER_EDITORS,
            can_exclude=current_user.role in service.EXCLUSION_EDITORS,
            can_publish=current_user.role in publication.PUBLISHERS and not programme.is_published,
        ),
        status,
    )


@bp.get("/<int:year>")
@staff_required
def show(year: int) -> Any:
    return _show(service.get_programme(year))


@bp.route("/<int:year>/edit", methods=["GET", "POST"])
@roles_required(*service.PARAMETER_EDITORS)
def edit(year: int) -> Any:
    programme = service.get_programme(year)
    form = ProgrammeForm(obj=programme)
    if form.validate_on_submit():
        try:
            changes = service.update_parameters(current_user, programme, form.values(), now=now())
        except ServiceError as exc:
            attach_error(form, exc, "name_zh")
        else:
            flash(_("参数已保存（%(n)s 项变更）", n=len(changes)), "success")
            return redirect(url_for("programmes.show", year=year))
    return render_template("programmes/edit.html", form=form, programme=programme), (422 if form.errors else 200)


@bp.post("/<int:year>/copy")
@roles_required(*service.PARAMETER_EDITORS)
def copy(year: int) -> Any:
    source = service.get_programme(year)
    if not ActionForm().validate_on_submit():
        abort(400)
    created = service.copy_to_next_year(current_user, source, now=now())
    flash(_("已复制为 %(year)s 年度项目，请核对并修改参数", year=created.year), "success")
    return redirect(url_for("programmes.edit", year=created.year))


@bp.post("/<int:year>/publish")
@roles_required(*publication.PUBLISHERS)
def publish(year: int) -> Any:
    programme = service.get_programme(year)
    if not ActionForm().validate_on_submit():
        abort(400)
    back = url_for("programmes.show", year=year)
    try:
        step = confirmations.confirm(
            lambda: publication.publish_plan(current_user, programme, now=now()),
            lambda: publication.publish(current_user, programme, now=now()),
            back=back,
        )
    except ServiceError as exc:
        flash(str(exc.message), "error")
        return redirect(back)
    if step.page is not None:
        return step.page
    flash(_("%(year)s 年度项目已发布", year=year), "success")
    return redirect(back)


@bp.post("/<int:year>/exclude")
@roles_required(*service.EXCLUSION_EDITORS)
def exclude(year: int) -> Any:
    programme = service.get_programme(year)
    form = ExcludeForm()
    if not form.validate_on_submit():
        return _show(programme, form, 422)
    service.exclude_countries(current_user, programme, list(form.countries.data or []))
    flash(_("不予承保国别已更新"), "success")
    return redirect(url_for("programmes.show", year=year) + "#excluded")


@bp.post("/<int:year>/include/<code>")
@roles_required(*service.EXCLUSION_EDITORS)
def include(year: int, code: str) -> Any:
    programme = service.get_programme(year)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.include_countries(current_user, programme, [code])
    flash(_("已恢复承保：%(code)s", code=code.upper()), "success")
    return redirect(url_for("programmes.show", year=year) + "#excluded")
