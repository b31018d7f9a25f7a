"""The public notice board (paths are CONTRACT.md-stable): /notices and /notices/<year>?q=&page=.

The public sees enterprise name, USCC and district only; the search layer never selects more."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from ..clock import now
from ..errors import Invalid, Refused
from ..pagination import page_arg
from ..programmes import service as programmes
from . import notice_service, objections, search
from .forms import ObjectionForm

bp = Blueprint("notices_public", __name__)


@bp.get("/notices")
def index() -> Any:
    return render_template("roster/public/index.html", boards=notice_service.public_boards(now()))


def _render_board(year: int, form: ObjectionForm, status: int = 200, refusal: str | None = None) -> Any:
    moment = now()
    board = notice_service.board(programmes.get_programme(year), moment)
    query = search.parse_query(request.args.get("q"))
    results = search.search_board(board.visible_ids, query, page_arg(request.args.get("page")))
    chosen = request.args.get("objection")
    if chosen and not form.uscc.data:
        form.uscc.data = chosen
    return (
        render_template(
            "roster/public/board.html",
            board=board,
            query=query,
            results=results,
            form=form,
            refusal=refusal,
            min_query=search.MIN_QUERY_LENGTH,
        ),
        status,
    )


@bp.get("/notices/<int:year>")
def board(year: int) -> Any:
    return _render_board(year, ObjectionForm(formdata=None))


@bp.post("/notices/<int:year>/objections")
def file_objection(year: int) -> Any:
    form = ObjectionForm()
    if not form.validate_on_submit():
        return _render_board(year, form, 422)
    data = objections.ObjectionInput(
        uscc=form.uscc.data or "",
        reason=form.reason.data or "",
        contact_name=form.contact_name.data or "",
        contact=form.contact.data or "",
    )
    try:
        objection = objections.file_objection(programmes.get_programme(year), data, ip=request.remote_addr, now=now())
    except Invalid as exc:
        target = getattr(form, exc.field or "", None)
        (target.errors if target is not None else form.form_errors).append(exc.message)  # type: ignore[union-attr]
        return _render_board(year, form, 422)
    except Refused as exc:
        return _render_board(year, form, 409, refusal=exc.message)
    return redirect(url_for("notices_public.objection", year=year, reference=objection.reference))


@bp.get("/notices/<int:year>/objections/<reference>")
def objection(year: int, reference: str) -> Any:
    found = objections.by_reference(year, reference)
    return render_template("roster/public/objection.html", objection=found, year=year)
