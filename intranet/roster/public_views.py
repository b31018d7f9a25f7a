"""The public notice board (paths are CONTRACT.md-stable): /notices and /notices/<year>?q=&page=.

The public sees enterprise name, USCC and district only; the search layer never selects more."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..clock import now
from ..db_tx import read_only
from ..errors import Invalid, Refused
from ..limits import limit
from ..pagination import page_arg
from ..programmes import service as programmes
from . import objections, search
from .board import board_for_year, public_boards
from .forms import ObjectionForm

bp = Blueprint("notices_public", __name__)


@bp.get("/notices")
@read_only
def index() -> Any:
    return render_template("roster/public/index.html", boards=public_boards(now()))


def _chosen_id(raw: str | None, allowed: set[int]) -> int | None:
    """A filter's value from the query string: one of `allowed`, else no filter."""
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value in allowed else None


def _render_board(year: int, form: ObjectionForm | None, status: int = 200, refusal: str | None = None) -> Any:
    moment = now()
    board = board_for_year(year, moment)
    query = search.parse_query(request.args.get("q"))
    # filters: a district, and one roster batch (its sequence: 1 the main roster, 2 the first
    # supplementary one …) among those the public may see; an unknown value filters nothing
    districts = search.district_options()
    district = _chosen_id(request.args.get("district"), {d.id for d in districts})
    batch = _chosen_id(request.args.get("batch"), {r.seq for r in board.visible})
    roster_ids = [r.id for r in board.visible if batch is None or r.seq == batch]
    results = search.search_board(roster_ids, query, page_arg(request.args.get("page")), district=district)
    # the objection form opens for an entry chosen on the board (…?objection=USCC), or to show errors
    chosen_code = request.args.get("objection")
    # a plain board view builds no form: no CSRF token, so no session cookie is written
    show_form = chosen_code is not None or form is not None
    if show_form and form is None:
        form = ObjectionForm(formdata=None)
    chosen = None
    if form is not None and chosen_code and board.objections_open:
        chosen = search.find_public_entry(board.visible_ids, chosen_code)
        if chosen is not None and not form.uscc.data:
            form.uscc.data = chosen.uscc
    kept = (("q", query.raw), ("district", district), ("batch", batch), ("page", request.args.get("page")))
    keep: dict[str, Any] = {k: v for k, v in kept if v}
    objection_href = url_for("notices_public.board", year=year, **keep, objection="").rstrip("=") + "="
    return (
        render_template(
            "roster/public/board.html",
            board=board,
            query=query,
            results=results,
            form=form,
            refusal=refusal,
            show_form=show_form,
            chosen=chosen,
            objection_href=objection_href,
            open_rosters={r.id for r in board.rosters if board.states[r.id] == "open"},
            roster_names={r.id: roster_name(r) for r in board.rosters},
            min_query=search.MIN_QUERY_LENGTH,
            districts=districts,
            district=district,
            batch=batch,
            filtered=bool(query.raw) or district is not None or batch is not None,
        ),
        status,
    )


def roster_name(roster: Any) -> str:
    if roster.is_supplementary:
        return _("补充名单（第 %(n)s 批）", n=roster.seq - 1)
    return _("主名单")


@bp.get("/notices/<int:year>")
@read_only
def board(year: int) -> Any:
    return _render_board(year, None)


@bp.post("/notices/<int:year>/objections")
@limit("LIMIT_OBJECTION_PER_ADDRESS", scope="objection")
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
        (target.errors if target is not None else form.form_errors).append(str(exc.message))  # type: ignore[union-attr]
        return _render_board(year, form, 422)
    except Refused as exc:
        return _render_board(year, form, 409, refusal=str(exc.message))
    return redirect(url_for("notices_public.objection", year=year, reference=objection.reference))


@bp.get("/notices/<int:year>/objections/<reference>")
def objection(year: int, reference: str) -> Any:
    found = objections.by_reference(year, reference)
    return render_template("roster/public/objection.html", objection=found, year=year)
