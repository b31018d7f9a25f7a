"""Several users per enterprise (经办人). The first activated user administers the others: invites a
colleague by e-mail or mobile, chooses whether each may claim, report losses and request credit
reports (the services check it: `security.ensure_enterprise_permission`), and removes them.
Every step is audited; the enterprise's own activity list reads who did what from the audit log.

Which user did what: a loss report's events carry `actor_user_id` (filled by the losses service);
a policy claim and a credit-report request have no user column yet (`policies.claimed_by`,
`credit_report_requests.requested_by` would need a migration in those features), so for them the
audit row (`policy.claim`, `credit_report.request`, actor = the user) is the record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..actors import Actor
from ..audit import service as audit
from ..audit.models import AuditLog
from ..auth import codes
from ..auth import service as auth
from ..auth.models import ActivationToken, Role, User
from ..db_tx import transactional
from ..errors import Forbidden, Invalid, NotFound, Refused
from ..extensions import db
from ..i18n import listing
from ..outbox import service as outbox
from ..security import PERMISSION_LABELS, ensure_role
from .models import Enterprise

PERMISSIONS = ("claim", "report_losses", "request_credit_reports")

# what the enterprise's activity list calls each audited action (others show their code)
ACTION_LABELS = {
    "policy.claim": _l("领取保单"),
    "loss.report": _l("报损"),
    "credit_report.request": _l("申请资信报告"),
    "user.activate": _l("激活账号"),
    "user.password_change": _l("修改密码"),
    "user.password_reset": _l("重置密码"),
    "user.email_change": _l("更新邮箱"),
    "user.mobile_change": _l("更新手机"),
    "enterprise.colleague_invite": _l("邀请经办人"),
    "enterprise.colleague_permissions": _l("修改经办人权限"),
    "enterprise.colleague_remove": _l("移除经办人"),
}


def members(enterprise_id: int) -> list[User]:
    """The enterprise's active users, administrator first, then by invitation."""
    users = list(
        db.session.scalars(
            select(User)
            .where(User.enterprise_id == enterprise_id, User.role == Role.ENTERPRISE, User.active.is_(True))
            .order_by(User.id)
        )
    )
    admin = codes.administrator_of(enterprise_id)
    return sorted(users, key=lambda u: (admin is None or u.id != admin.id, u.id))


def is_administrator(user: User) -> bool:
    if user.role != Role.ENTERPRISE or user.enterprise_id is None:
        return False
    admin = codes.administrator_of(user.enterprise_id)
    return admin is not None and admin.id == user.id


def _ensure_administrator(actor: Actor) -> User:
    ensure_role(actor, "enterprise")
    if not isinstance(actor, User) or not is_administrator(actor):
        raise Forbidden(_l("只有本企业的管理员可以管理经办人"), code="not_administrator")
    return actor


def _colleague(admin: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.enterprise_id != admin.enterprise_id or user.role != Role.ENTERPRISE or not user.active:
        raise NotFound(_l("经办人不存在"))
    if user.id == admin.id:
        raise Refused(_l("管理员不能修改或移除自己"))
    return user


def permission_text(allowed: Iterable[str]) -> str:
    chosen = [str(PERMISSION_LABELS[p]) for p in PERMISSIONS if p in set(allowed)]
    return str(listing(chosen)) if chosen else str(_l("仅查看"))


@transactional
def invite(
    actor: Actor,
    *,
    display_name: str,
    email: str | None,
    mobile: str | None,
    permissions: Iterable[str],
    now: datetime,
) -> User:
    """Create the colleague's login (no password yet) and send the activation link to it."""
    admin = _ensure_administrator(actor)
    email = (email or "").strip().lower() or None
    mobile = auth.normalize_mobile(mobile) if mobile and mobile.strip() else None
    if not email and not mobile:
        raise Invalid(_l("请填写经办人的邮箱或手机号码"), field="email")
    if mobile and not auth.looks_like_mobile(mobile):
        raise Invalid(_l("请输入有效的手机号码"), field="mobile")
    if email and db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Refused(_l("该联系方式已被其他账号使用"), field="email")
    if mobile and db.session.scalar(select(User.id).where(User.mobile == mobile)):
        raise Refused(_l("该联系方式已被其他账号使用"), field="mobile")
    allowed = set(permissions) & set(PERMISSIONS)
    user = User(
        email=email,
        mobile=mobile,
        display_name=display_name.strip()[:200],
        role=Role.ENTERPRISE,
        enterprise_id=admin.enterprise_id,
        password_hash=None,
        active=True,
        created_at=now,
        **{f"can_{p}": p in allowed for p in PERMISSIONS},
    )
    db.session.add(user)
    db.session.flush()
    token = auth.issue_activation_token(user, now=now)
    enterprise = db.session.get(Enterprise, admin.enterprise_id)
    assert enterprise is not None  # noqa: S101 - the administrator's own enterprise
    context = {
        "enterprise_name": enterprise.name,
        "uscc": enterprise.uscc,
        "inviter": admin.display_name or admin.label(),
        "permissions": permission_text(allowed),
        "activation_url": f"{current_app.config['TONGBAO_BASE_URL']}/activate/{token}",
        "days": auth.ACTIVATION_VALID_FOR.days,
        "link_expires_at": now + auth.ACTIVATION_VALID_FOR,  # the SMS's short link lives as long as the token
        "login_with": email or mobile,
    }
    channel, recipient = ("email", email) if email else ("sms", mobile)
    outbox.queue(
        channel=channel,
        recipient=str(recipient),
        job="invitation",  # private: the body carries an activation link
        template="colleague_invitation",
        context=context,
        dedupe_key=f"colleague-invite:{user.id}:{channel}",
        now=now,
        enterprise_id=enterprise.id,
        user_id=user.id,
        language=codes.message_language(admin),
    )
    audit.record(
        admin,
        "enterprise.colleague_invite",
        obj=user,
        summary=f"{enterprise.uscc} {email or mobile}",
        changes={"permissions": sorted(allowed)},
    )
    return user


@transactional
def set_permissions(actor: Actor, user_id: int, permissions: Iterable[str], *, now: datetime) -> User:
    admin = _ensure_administrator(actor)
    user = _colleague(admin, user_id)
    allowed = set(permissions) & set(PERMISSIONS)
    before = {p: user.may(p) for p in PERMISSIONS}
    for p in PERMISSIONS:
        setattr(user, f"can_{p}", p in allowed)
    after = {p: user.may(p) for p in PERMISSIONS}
    changes = audit.diff(before, after)
    if changes:
        audit.record(admin, "enterprise.colleague_permissions", obj=user, summary=user.label(), changes=changes)
    return user


@transactional
def remove(actor: Actor, user_id: int, *, now: datetime) -> User:
    """The colleague's login is refused from now on: sessions end, an unused invitation dies."""
    admin = _ensure_administrator(actor)
    user = _colleague(admin, user_id)
    user.active = False
    auth.end_sessions(user)
    db.session.execute(
        update(ActivationToken)
        .where(ActivationToken.user_id == user.id, ActivationToken.used_at.is_(None))
        .values(used_at=now)
    )
    audit.record(admin, "enterprise.colleague_remove", obj=user, summary=user.label())
    return user


def recent_activity(enterprise_id: int, limit: int = 30) -> list[AuditLog]:
    """What the enterprise's users did lately (claims, loss reports, credit reports, account changes)."""
    ids = select(User.id).where(User.enterprise_id == enterprise_id).scalar_subquery()
    return list(
        db.session.scalars(
            select(AuditLog).where(AuditLog.actor_user_id.in_(ids)).order_by(AuditLog.id.desc()).limit(limit)
        )
    )
