"""`POST /staff/notices/<id>/send-now`: an urgent risk alert sent at once, after the confirmation step."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import confirmations
from ..clock import now
from ..notices import service as notices
from ..notices.forms import ActionForm
from ..security import roles_required
from . import urgent

bp = Blueprint("urgent_notices", __name__)


@bp.post("/staff/notices/<int:notice_id>/send-now")
@roles_required("insurer")
def send_now(notice_id: int) -> Any:
    notice = notices.get_notice(notice_id)
    back = url_for("notices.staff_show", notice_id=notice.id)
    if ActionForm().validate_on_submit():
        return confirmations.confirmed_redirect(
            lambda: urgent.send_now_plan(notice, now=now()),
            lambda: urgent.send_now(current_user, notice, now=now()),
            back=back,
            done=lambda n: _("预警已进入发送队列：%(n)s 条消息，通知程序将立即发出", n=n or 0),
        )
    return redirect(back)
