"""Sessions the server can end.

The session cookie carries the user's id *and* session version (`User.get_id`); the user loader
refuses a cookie whose version is no longer the user's (after a logout, a password change or a
deactivation, which bump it) and a session left idle too long: staff after 30 minutes, enterprises
after 2 hours. Idle time is wall-clock time (the business clock may be frozen for a demo)."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import flash, session
from flask_babel import gettext as _
from flask_login import login_user

from ..extensions import db
from .models import User

IDLE_LIMIT_STAFF = timedelta(minutes=30)
IDLE_LIMIT_ENTERPRISE = timedelta(hours=2)
SEEN_KEY = "_seen"
SEEN_RESOLUTION_S = 30  # the cookie is rewritten at most this often to record activity

wall_clock = time.time  # tests move it


def idle_limit(user: User) -> timedelta:
    return IDLE_LIMIT_STAFF if user.is_staff else IDLE_LIMIT_ENTERPRISE


def start(user: User) -> None:
    """Sign `user` in on this browser (a fresh session cookie, stamped now)."""
    login_user(user)
    session[SEEN_KEY] = int(wall_clock())


def _forget() -> None:
    for key in ("_user_id", "_fresh", "_id", SEEN_KEY):
        session.pop(key, None)


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user, or None when the session was ended or went idle."""
    ident, _dot, version = user_id.partition(".")
    if not (ident.isdigit() and version.isdigit()):
        _forget()
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_active or (user.session_version or 0) != int(version):
        _forget()
        return None
    moment = wall_clock()
    seen = session.get(SEEN_KEY)
    if isinstance(seen, int | float) and moment - seen > idle_limit(user).total_seconds():
        _forget()
        flash(_("您已长时间未操作，请重新登录"), "info")
        return None
    if not isinstance(seen, int | float) or moment - seen >= SEEN_RESOLUTION_S:
        session[SEEN_KEY] = int(moment)
    return user
