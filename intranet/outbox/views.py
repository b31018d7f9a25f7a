"""Staff pages for the outbox: every message with filters (status, channel, job, enterprise), one
message, retrying a failed one (audited), and sent/failed/deferred per day as a chart."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..clock import now
from ..errors import ServiceError
from ..pagination import page_arg, paginate
from ..security import staff_required
from . import dispatch, queries
from .chart import daily_chart
from .forms import RetryForm
from .labels import page_labels
from .retention import is_purged

LOG_FILE = "outbox.log"  # where a channel without a server writes (notifier.channels.log)
LOGGED_REF = "outbox.log"  # the provider reference of a message that was only logged

bp = Blueprint("outbox", __name__)

# bodies carry a personal activation or reset link, or a code: staff see the envelope only
PRIVATE_JOBS = {"invitation", "account"}


def _labels() -> dict[str, Any]:
    return page_labels()


def _logged_only() -> dict[str, Any]:
    """The channels with no server configured (their messages are only written to the log)."""
    channels = [
        name
        for name, key in (("email", "TONGBAO_SMTP_URL"), ("sms", "TONGBAO_SMS_URL"))
        if not current_app.config.get(key)
    ]
    return {
        "logged_channels": channels,
        "log_path": f"{current_app.instance_path}/{LOG_FILE}",
        "logged_ref": LOGGED_REF,
    }


@bp.get("/staff/outbox")
@staff_required
def index() -> Any:
    filters = queries.Filters.from_args(request.args)
    page = paginate(queries.staff_query(filters), page_arg(request.args.get("page")), per_page=50, scalars=False)
    labels = _labels()
    days = queries.daily_counts(now(), days=14)
    series = {k: labels["status_labels"][k] for k in ("sent", "failed", "deferred")}
    chart = daily_chart(
        days,
        title=_("最近14天每日发送情况"),
        desc=_("每天已发送、失败和延后的消息数（堆叠柱状图），数字见右侧表格"),
        labels=series,
    )
    return render_template(
        "outbox/index.html",
        page=page,
        filters=filters,
        jobs=queries.jobs(),
        counts=queries.status_counts(),
        chart=chart,
        days=days,
        retry_form=RetryForm(),
        retention_days=current_app.config.get("TONGBAO_OUTBOX_RETENTION_DAYS"),
        **labels,
        **_logged_only(),
    )


@bp.get("/staff/outbox/<int:message_id>")
@staff_required
def show(message_id: int) -> Any:
    message = queries.get(message_id)
    if message is None:
        abort(404)
    return render_template(
        "outbox/show.html",
        message=message,
        private=message.job in PRIVATE_JOBS,
        purged=is_purged(message),
        retry_form=RetryForm(),
        **_labels(),
        **_logged_only(),
    )


@bp.post("/staff/outbox/<int:message_id>/retry")
@staff_required
def retry(message_id: int) -> Any:
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        dispatch.retry(current_user, message_id, now=now())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        flash(str(exc.message), "error")
    else:
        flash(_("消息 #%(id)s 已重新排队，将由通知服务发送", id=message_id), "success")
    return redirect(url_for("outbox.show", message_id=message_id))
