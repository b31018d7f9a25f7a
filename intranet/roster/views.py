"""Staff pages of the roster (/staff/roster): rosters with their notice state, publish, confirm,
entries (with export amounts — staff only), objections and their resolution."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from .. import confirmations
from ..clock import now, shanghai_date
from ..errors import ServiceError
from ..forms_support import attach_error
from ..pagination import page_arg, paginate
from ..programmes import service as programmes
from ..programmes.requested import requested_programme
from ..security import roles_required, staff_required
from ..uscc import normalize_uscc
from . import board, drafts, invitations, notice_service, objections
from .forms import ConfirmForm, PublishForm, RemoveEntryForm, ResolveForm
from .models import Objection, RosterEntry
from .search import normalize_for_search
from .service import rosters_of

bp = Blueprint("roster", __name__, url_prefix="/staff/roster")


def _index(programme: Any, publish_form: PublishForm | None = None, status: int = 200) -> Any:
    moment = now()
    rosters = rosters_of(programme) if programme else []
    draft = notice_service.current_draft(programme) if programme else None
    if publish_form is None:
        publish_form = PublishForm(formdata=None)
        start = shanghai_date(moment)
        publish_form.start.data = start
        # the end stays empty: left empty it follows whatever start the officer picks
        # (programme.notice_days calendar days); a pre-filled end would go stale
    import_url = (
        url_for("roster_import.new", year=programme.year)
        if programme is not None and "roster_import.new" in current_app.view_functions
        else None
    )
    return (
        render_template(
            "roster/staff/index.html",
            programme=programme,
            programmes=programmes.list_programmes(),
            rosters=rosters,
            draft=draft,
            states={r.id: board.notice_state(r, moment) for r in rosters},
            counts=notice_service.roster_counts([r.id for r in rosters]),
            blockers={r.id: notice_service.confirm_blockers(r, moment) for r in rosters if r.status == "notice"},
            invited={r.id: invitations.progress_of(r) for r in rosters if r.status == "confirmed"},
            unfinished={r.id for r in rosters if invitations.unfinished(r)},
            publish_form=publish_form,
            confirm_form=ConfirmForm(formdata=None),
            import_url=import_url,
        ),
        status,
    )


@bp.get("/")
@staff_required
def index() -> Any:
    return _index(requested_programme())


@bp.post("/<int:roster_id>/publish")
@roles_required("bureau")
def publish(roster_id: int) -> Any:
    roster = notice_service.get_roster(roster_id)
    programme = roster.programme
    form = PublishForm()
    if form.validate_on_submit():
        assert form.start.data is not None
        period = {"start": form.start.data, "end": form.end.data, "roster_id": roster.id}
        try:
            step = confirmations.confirm(
                lambda: notice_service.publish_plan(programme, now=now(), **period),
                lambda: notice_service.publish(current_user, programme, now=now(), **period),
                back=url_for("roster.index", year=programme.year),
            )
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            if step.page is not None:
                return step.page
            done = step.result
            assert done is not None
            flash(_("名单已发布公示：%(start)s 至 %(end)s", start=done.notice_start, end=done.notice_end), "success")
            return redirect(url_for("roster.index", year=programme.year))
    return _index(programme, form, 422)


@bp.post("/<int:roster_id>/confirm")
@roles_required("bureau")
def confirm(roster_id: int) -> Any:
    roster = notice_service.get_roster(roster_id)
    back = url_for("roster.index", year=roster.programme.year)
    if ConfirmForm().validate_on_submit():
        programme = roster.programme
        try:
            step = confirmations.confirm(
                lambda: invitations.confirm_plan(programme, now=now(), roster_id=roster.id),
                lambda: invitations.confirm_and_invite(current_user, programme, now=now(), roster_id=roster.id),
                back=back,
            )
        except ServiceError as exc:
            flash(str(exc.message), "error")
        else:
            if step.page is not None:
                return step.page
            assert step.result is not None
            flash(_("名单已确认：%(n)s 家企业，正在后台发送账号激活邀请", n=step.result[0].listed), "success")
    return redirect(back)


@bp.post("/<int:roster_id>/invite")
@roles_required("bureau")
def invite(roster_id: int) -> Any:
    """Queue again the invitations whose tasks gave up (e.g. the mail gateway refused for hours)."""
    roster = notice_service.get_roster(roster_id)
    back = url_for("roster.index", year=roster.programme.year)
    if ConfirmForm().validate_on_submit() and invitations.unfinished(roster):
        step = confirmations.confirm(
            lambda: invitations.resume_plan(roster, now=now()),
            lambda: invitations.queue_invitations(current_user, roster.id, now=now()),
            back=back,
        )
        if step.page is not None:
            return step.page
        flash(_("正在后台继续发送账号激活邀请"), "success")
    return redirect(back)


@bp.post("/<int:roster_id>/discard")
@roles_required("bureau")
def discard(roster_id: int) -> Any:
    roster = notice_service.get_roster(roster_id)
    back = url_for("roster.index", year=roster.programme.year)
    if ConfirmForm().validate_on_submit():
        try:
            step = confirmations.confirm(
                lambda: drafts.discard_plan(roster_id),
                lambda: drafts.discard(current_user, roster_id, now=now()),
                back=back,
            )
        except ServiceError as exc:
            flash(str(exc.message), "error")
        else:
            if step.page is not None:
                return step.page
            flash(_("草稿名单已删除：%(n)s 行", n=step.result), "success")
    return redirect(back)


@bp.post("/entries/<int:entry_id>/remove")
@roles_required("bureau")
def remove_entry(entry_id: int) -> Any:
    form = RemoveEntryForm()
    roster_id = drafts.entry_roster_id(entry_id)
    if form.validate_on_submit():
        try:
            removed = drafts.remove_entry(current_user, entry_id, reason=form.reason.data or "", now=now())
        except ServiceError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("已从草稿名单移除：%(name)s", name=removed.name), "success")
    else:
        flash(_("请填写移除原因"), "error")
    if roster_id is None:
        return redirect(url_for("roster.index"))
    return redirect(url_for("roster.entries", roster_id=roster_id))


@bp.get("/<int:roster_id>/entries")
@staff_required
def entries(roster_id: int) -> Any:
    roster = notice_service.get_roster(roster_id)
    q = (request.args.get("q") or "").strip()[:60]
    stmt = select(RosterEntry).where(RosterEntry.roster_id == roster.id)
    if q:
        norm, code = normalize_for_search(q), normalize_uscc(q)
        stmt = stmt.where(
            or_(
                RosterEntry.search_norm.contains(norm, autoescape=True),
                RosterEntry.uscc.startswith(code, autoescape=True),
            )
        )
    page = paginate(stmt.order_by(RosterEntry.id), page_arg(request.args.get("page")), per_page=50)
    return render_template(
        "roster/staff/entries.html",
        roster=roster,
        page=page,
        q=q,
        state=board.notice_state(roster, now()),
        counts=notice_service.roster_counts([roster.id])[roster.id],
    )


@bp.get("/objections")
@staff_required
def objection_list() -> Any:
    status = request.args.get("status", "open")
    status = status if status in {"open", "upheld", "dismissed", ""} else "open"
    page = paginate(objections.staff_query(status or None), page_arg(request.args.get("page")), per_page=30)
    return render_template("roster/staff/objections.html", page=page, status=status)


@bp.route("/objections/<int:objection_id>", methods=["GET", "POST"])
@staff_required
def objection(objection_id: int) -> Any:
    found: Objection = objections.get_objection(objection_id)
    form = ResolveForm()
    if form.validate_on_submit():
        decision, reply = form.decision.data or "", form.reply.data or ""

        def resolve() -> Any:
            return objections.resolve(current_user, found, decision=decision, reply=reply, now=now())

        try:
            if decision == "upheld":  # the enterprise leaves the roster: look twice
                back = url_for("roster.objection", objection_id=found.id)
                step = confirmations.confirm(lambda: objections.uphold_plan(found), resolve, back=back)
                if step.page is not None:
                    return step.page
            else:
                resolve()
        except ServiceError as exc:
            attach_error(form, exc)
        else:
            flash(_("异议 %(ref)s 已处理，答复已排队发送", ref=found.reference), "success")
            return redirect(url_for("roster.objection_list"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("roster/staff/objection.html", objection=found, form=form), status
