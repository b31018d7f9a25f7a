"""How an enterprise wants to be contacted: channels (at least one for reminders and service
messages) and the optional monthly notices, which every notice lets it switch off with one click
through a signed link."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from ..actors import Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..errors import Invalid, NotFound
from ..extensions import db
from ..security import ensure_role
from .models import Enterprise

OPT_OUT_SALT = "tongbao.monthly-notices.opt-out"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=OPT_OUT_SALT)


def opt_out_token(enterprise_id: int) -> str:
    return _serializer().dumps(enterprise_id)


def opt_out_url(enterprise_id: int) -> str:
    return f"{current_app.config['TONGBAO_BASE_URL']}/notifications/opt-out/{opt_out_token(enterprise_id)}"


def enterprise_for_token(token: str) -> Enterprise:
    try:
        enterprise_id = _serializer().loads(token)
    except BadSignature:
        enterprise_id = None
    enterprise = db.session.get(Enterprise, enterprise_id) if isinstance(enterprise_id, int) else None
    if enterprise is None:
        raise NotFound(_l("退订链接无效"), code="bad_opt_out_link")
    return enterprise


@transactional
def opt_out(actor: Actor, token: str, *, now: datetime) -> Enterprise:
    """The one-click opt-out of monthly notices (the signed link is the authority)."""
    ensure_role(actor, "public", "enterprise")
    enterprise = enterprise_for_token(token)
    if enterprise.monthly_notices:
        enterprise.monthly_notices = False
        enterprise.updated_at = now
        audit.record(
            actor,
            "enterprise.monthly_notices.opt_out",
            obj=enterprise,
            summary=f"{enterprise.name} 通过退订链接退订月度风险通报",
            changes={"monthly_notices": [True, False]},
        )
    return enterprise


@transactional
def update(
    actor: Actor, enterprise: Enterprise, *, notify_email: bool, notify_sms: bool, monthly_notices: bool, now: datetime
) -> Enterprise:
    """Save the enterprise's own choices; reminders need at least one channel it has an address for."""
    ensure_role(actor, "enterprise")
    if getattr(actor, "enterprise_id", None) != enterprise.id:
        raise NotFound(_l("企业不存在"))
    usable = (notify_email and bool(enterprise.email)) or (notify_sms and bool(enterprise.mobile))
    if not usable:
        raise Invalid(
            _l("请至少选择一个有联系方式的渠道（领取提醒和服务消息必须送达）"),
            field="notify_email",
        )
    before = {
        "notify_email": enterprise.notify_email,
        "notify_sms": enterprise.notify_sms,
        "monthly_notices": enterprise.monthly_notices,
    }
    after = {"notify_email": notify_email, "notify_sms": notify_sms, "monthly_notices": monthly_notices}
    changes = audit.diff(before, after)
    if changes:
        for field, value in after.items():
            setattr(enterprise, field, value)
        enterprise.updated_at = now
        audit.record(actor, "enterprise.preferences", obj=enterprise, summary="修改通知设置", changes=changes)
    return enterprise
