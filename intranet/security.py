"""Role checks: a decorator for views and `ensure_role` for services (checked twice, on purpose)."""

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
