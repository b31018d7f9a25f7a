"""A user's contact e-mail and mobile: a new one counts once the code sent to it is typed back
(single use, 30 minutes, 5 tries). The change ends the user's other sessions and is audited; for the
login that speaks for an enterprise (its administrator) the enterprise's contact follows."""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..audit import service as audit
from ..db_tx import transactional
from ..errors import Invalid, Refused
from ..extensions import db
from . import codes
from .models import CodePurpose, User
from .service import end_sessions, looks_like_mobile, normalize_mobile

TEMPLATE = "contact_code"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clean(kind: str, value: str) -> str:
    value = value.strip()
    if kind == CodePurpose.EMAIL:
        if not _EMAIL.match(value) or len(value) > 254:
            raise Invalid(_l("请输入有效的邮箱地址"), field="value")
        return value.lower()
    if not looks_like_mobile(value):
        raise Invalid(_l("请输入有效的手机号码"), field="value")
    return normalize_mobile(value)


def _taken(kind: str, value: str, user: User) -> bool:
    column = func.lower(User.email) if kind == CodePurpose.EMAIL else User.mobile
    return db.session.scalar(select(User.id).where(column == value, User.id != user.id)) is not None


@transactional
def request_change(user: User, kind: str, value: str, *, now: datetime) -> str:
    """Send a confirmation code to the new address; returns the address as it will be kept."""
    if kind not in (CodePurpose.EMAIL, CodePurpose.MOBILE):
        raise Invalid(_l("未知的联系方式"), field="value")
    clean = _clean(kind, value)
    if _taken(kind, clean, user):
        raise Refused(_l("该联系方式已被其他账号使用"), field="value")
    code = codes.new_code()
    channel = "email" if kind == CodePurpose.EMAIL else "sms"
    row = codes.issue(user, kind, channel, codes.code_hash(user.id, code), now=now, target=clean)
    context = {"code": code, "minutes": int(codes.VALID_FOR.total_seconds() // 60), "name": user.display_name or ""}
    codes.send(row=row, user=user, channel=channel, recipient=clean, template=TEMPLATE, context=context, now=now)
    audit.record(user, f"user.{kind}_change_request", obj=user, summary=clean)
    return clean


def pending(user: User, kind: str, *, now: datetime) -> str | None:
    """The new address waiting for its code, if any."""
    row = codes.live_code(user, kind, now=now)
    return row.target if row is not None else None


@transactional
def confirm_change(user: User, kind: str, code: str, *, now: datetime) -> User:
    row = codes.check_code(user, kind, code, now=now)
    if row is None or not row.target:
        db.session.commit()  # keep the counted try
        raise Invalid(_l("验证码不正确或已过期"), field="code")
    if _taken(kind, row.target, user):
        raise Refused(_l("该联系方式已被其他账号使用"), field="code")
    row.used_at = now
    speaks_for_enterprise = user.enterprise is not None and (
        (admin := codes.administrator_of(user.enterprise.id)) is None or admin.id == user.id
    )
    field = "email" if kind == CodePurpose.EMAIL else "mobile"
    before = getattr(user, field)
    setattr(user, field, row.target)
    if speaks_for_enterprise and user.enterprise is not None:
        setattr(user.enterprise, field, row.target)
        user.enterprise.updated_at = now
    end_sessions(user)
    audit.record(
        user,
        f"user.{field}_change",
        obj=user,
        summary=row.target,
        changes={field: [before, row.target], "enterprise_contact": speaks_for_enterprise},
    )
    return user
