"""Role checks: a decorator for views and `ensure_role` for services (checked twice, on purpose);
the browser security headers of every response (`init_headers`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .actors import Actor
from .errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: str) -> Callable[[F], F]:
    """Login required, then one of `roles`; anyone else gets 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from .extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def staff_required(view: F) -> F:
    return roles_required("bureau", "insurer")(view)


def ensure_role(actor: Actor, *roles: str) -> None:
    """Services call this too: system actors (CLI, notifier) may do anything an operator may."""
    if actor.role == "system":
        return
    if actor.role not in roles:
        raise Forbidden(_l("您无权执行此操作"), code="forbidden")


PERMISSION_LABELS: dict[str, Any] = {
    "claim": _l("领取保单"),
    "report_losses": _l("报损"),
    "request_credit_reports": _l("申请资信报告"),
}


def ensure_enterprise_permission(actor: Actor, permission: str) -> None:
    """An enterprise's user (经办人) acts only where its administrator allowed it; other actors
    (staff, the API, the CLI) are checked by `ensure_role` as before."""
    if actor.role != "enterprise":
        return
    may = getattr(actor, "may", None)
    if may is None or not may(permission):
        raise Forbidden(
            _l("您的账号没有“%(what)s”权限，请联系本企业的管理员", what=PERMISSION_LABELS.get(permission, permission)),
            code="permission",
        )


# Browser security headers on every response (Flask-Talisman): scripts and styles only from our own
# static files (no inline code, no `unsafe-inline`), never framed (the insurer's "pay" and "issue"
# buttons cannot be clickjacked), no MIME sniffing, no full URLs leaked to other sites, and HSTS when
# the site is served over https (TONGBAO_BASE_URL).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}


def init_headers(app: Any, *, https: bool) -> None:
    from flask_talisman import Talisman

    Talisman(
        app,
        force_https=False,  # the reverse proxy redirects; the app also serves plain-http loopback
        strict_transport_security=https,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=https,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="strict-origin-when-cross-origin",
    )
