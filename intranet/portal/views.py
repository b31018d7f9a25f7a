"""The enterprise's home (/portal/) and its claim button."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..clock import now
from ..errors import ServiceError
from ..policies import rules
from ..policies import service as policies
from ..policies.forms import ClaimForm
from ..security import roles_required
from . import service

bp = Blueprint("portal", __name__, url_prefix="/portal")


def certificate_url(policy: Any) -> str | None:
    """The certificate download, once the certificates feature serves it."""
    if policy is None or policy.issued_at is None or "certificates.download" not in current_app.view_functions:
        return None
    return url_for("certificates.download", policy_id=policy.id)


@bp.get("/")
@roles_required("enterprise")
def home() -> Any:
    data = service.home(current_user, now=now())
    return render_template(
        "portal/home.html",
        home=data,
        form=ClaimForm(),
        certificate_url=certificate_url,
        expected_by=lambda policy: rules.expected_issue_by(policy.programme, policy.claimed_at),
    )


@bp.post("/claim/<int:year>")
@roles_required("enterprise")
def claim(year: int) -> Any:
    form = ClaimForm()
    if form.validate_on_submit():
        enterprise, programme = service.claim_programme(current_user, year)
        try:
            result = policies.claim(current_user, enterprise, programme, now=now(), via="web")
        except ServiceError as exc:
            flash(str(exc.message), "error")
        else:
            if result.created:
                flash(_("已领取保单，我们将尽快签发。"), "success")
            else:
                flash(_("您已领取过本年度保单，无需重复领取。"), "info")
    return redirect(url_for("portal.home"))
