"""Throttling that protects the site, not just one account.

- Request limits (Flask-Limiter): counted per client address (`request.remote_addr`, which
  `TONGBAO_TRUSTED_PROXIES` makes the proxies' `X-Forwarded-For`) and, for logins, per account *at*
  that address. The counters live in Redis when `TONGBAO_REDIS_URL` is set (shared by every worker
  and host), else in the process's memory. Limits are configuration keys (`LIMIT_*`, below).
- Password-check slots: at most `PASSWORD_CHECK_SLOTS` password hashes run at once across the web
  workers (Redis: one sorted set for every host; without Redis: lock files in the instance folder,
  shared by the workers of this host). A request that finds every slot taken is told to come back in
  a moment instead of waiting, so a login flood leaves the other workers free for other pages.
- Over a limit: 429 with `Retry-After`, and a page (or the API's JSON error) saying when to retry.

Each app has its own limiter (no module-level client): a view declares its limits with `@limit(…)`,
which only marks it, and `limit_views(app)`, called by the factory once the blueprints are
registered, has the app's limiter (its storage, Redis client and key prefix from that app's
configuration) apply them. Two apps in one process (tests, two workers' configurations) count apart.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from werkzeug.exceptions import TooManyRequests

from .clock import shanghai
from .error_pages import json_error, wants_json

# Flask settings (overridable through Config.extra); "N per minute;M per hour" as Flask-Limiter reads them
DEFAULTS: dict[str, Any] = {
    # every login form post from one address (a whole office behind one NAT included)
    "LIMIT_LOGIN_PER_ADDRESS": "30 per minute;300 per hour",
    # failed logins for one account from one address: slows a guesser down there, never elsewhere
    "LIMIT_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS": "5 per minute;20 per hour",
    "LIMIT_ACTIVATION_PER_ADDRESS": "10 per minute;50 per hour",
    "LIMIT_PASSWORD_CHANGE_PER_ADDRESS": "10 per minute;50 per hour",
    "LIMIT_OBJECTION_PER_ADDRESS": "10 per minute;60 per hour",
    # short links (/s/<code>): a person follows one a few times; a guesser walking the codes is turned away
    "LIMIT_SHORT_LINK_PER_ADDRESS": "60 per minute;600 per hour",
    # password-reset requests from one address, and for one account from anywhere (no message bombing)
    "LIMIT_RESET_PER_ADDRESS": "5 per minute;30 per hour",
    "LIMIT_RESET_PER_ACCOUNT": "3 per 15 minutes;10 per day",
    # codes typed in (reset by SMS code, new contact confirmation): each code also allows 5 tries
    "LIMIT_CODE_ENTRY_PER_ADDRESS": "10 per minute;50 per hour",
    # password hashes running at once across the web workers: half of `make serve`'s 4 workers
    "PASSWORD_CHECK_SLOTS": 2,
    # a holder that died keeps a Redis slot this long at most (gunicorn kills a worker after 30 s)
    "PASSWORD_CHECK_SLOT_TTL": 30,
    "PASSWORD_CHECK_BUSY_RETRY_AFTER": 2,
}


def client_address() -> str:
    return request.remote_addr or "unknown"


def configured(name: str) -> Callable[[], str]:
    """A limit read from the app's configuration when the request is checked."""
    return lambda: str(current_app.config[name])


@dataclass(frozen=True)
class RouteLimit:
    """One request limit of a view: the setting holding it ("N per minute;…") and how it counts."""

    setting: str
    scope: str
    methods: tuple[str, ...] | None = None
    key_func: Callable[[], str] | None = None
    deduct_when: Callable[[Any], bool] | None = None


_MARK = "_tongbao_limits"


def limit(
    setting: str,
    *,
    scope: str,
    methods: list[str] | None = None,
    key_func: Callable[[], str] | None = None,
    deduct_when: Callable[[Any], bool] | None = None,
) -> Callable[[Any], Any]:
    """Mark a view with a request limit read from the app's configuration `setting`, counted per
    client address (or `key_func`); `limit_views` has each app's limiter apply it. Stack them like
    Flask-Limiter's decorators (checked before the view runs, so before any password hash)."""
    rule = RouteLimit(setting, scope, tuple(methods) if methods else None, key_func, deduct_when)

    def mark(view: Any) -> Any:
        setattr(view, _MARK, [*getattr(view, _MARK, []), rule])  # wrappers (functools.wraps) copy it outward
        return view

    return mark


def limit_views(app: Flask) -> None:
    """Apply every marked view's limits with this app's own limiter (after the blueprints are registered)."""
    limiter: Limiter = app.extensions["tongbao_limiter"]
    for endpoint, view in list(app.view_functions.items()):
        rules: list[RouteLimit] = getattr(view, _MARK, [])
        wrapped: Any = view
        for rule in rules:  # innermost first, as the decorators were applied
            wrapped = limiter.limit(
                configured(rule.setting),
                methods=list(rule.methods) if rule.methods else None,
                key_func=rule.key_func,
                deduct_when=rule.deduct_when,
                scope=rule.scope,
            )(wrapped)
        if rules:
            app.view_functions[endpoint] = wrapped


class PasswordChecksBusy(TooManyRequests):
    """Every password-check slot is taken: come back in a moment (nothing was counted)."""


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    redis_url = app.config.get("TONGBAO_REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "tongbao")  # Redis keys: tongbao/…, tongbao:password-check-slots
    # Redis unreachable: count in this process meanwhile rather than answer 500
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter = Limiter(key_func=client_address, strategy="moving-window")
    limiter.init_app(app)
    app.extensions["tongbao_limiter"] = limiter
    local = FileSlots(Path(app.instance_path) / "password-slots", app.config)
    app.extensions["tongbao_password_slots"] = RedisSlots(redis_url, app.config, local) if redis_url else local
    app.register_error_handler(TooManyRequests, too_many_requests)


def _retry_after(exc: TooManyRequests) -> int:
    if isinstance(exc, PasswordChecksBusy):
        return int(current_app.config["PASSWORD_CHECK_BUSY_RETRY_AFTER"])
    current = current_app.extensions["tongbao_limiter"].current_limit
    if current is not None and current.breached:
        return max(1, int(current.reset_at - time.time()))
    return 60


def too_many_requests(exc: TooManyRequests) -> Any:
    seconds = _retry_after(exc)
    if isinstance(exc, PasswordChecksBusy):
        message = _("登录的人很多，请 %(n)s 秒后再试", n=seconds)
    else:
        at = shanghai(datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%H:%M:%S")
        message = _("请求过于频繁，请在 %(n)s 秒后（北京时间 %(at)s 之后）再试", n=seconds, at=at)
    if wants_json():
        response = json_error(429, message, "rate_limited")
    else:
        response = current_app.make_response(
            (render_template("errors/error.html", status=429, message=message, retry_after=seconds), 429)
        )
    response.headers["Retry-After"] = str(seconds)
    return response


@contextmanager
def password_check_slot() -> Iterator[None]:
    """Hold one of the password-check slots while a hash runs; PasswordChecksBusy when none is free."""
    slots: Slots = current_app.extensions["tongbao_password_slots"]
    token = slots.acquire()
    if token is None:
        raise PasswordChecksBusy()
    try:
        yield
    finally:
        slots.release(token)


class Slots:
    def acquire(self) -> Any | None:  # pragma: no cover - interface
        raise NotImplementedError

    def release(self, token: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class FileSlots(Slots):
    """One lock file per slot in the instance folder: every worker process (and thread) of this host
    competes for them; the kernel frees a dead holder's lock."""

    def __init__(self, folder: Path, config: Any) -> None:
        self.folder = folder
        self.config = config
        folder.mkdir(parents=True, exist_ok=True)

    def acquire(self) -> int | None:
        count = int(self.config["PASSWORD_CHECK_SLOTS"])
        for index in secrets.SystemRandom().sample(range(count), count):
            fd = os.open(self.folder / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    def release(self, token: int) -> None:
        os.close(token)  # closing the descriptor drops its lock


# KEYS[1]: the holders (token -> acquired at, Redis's own clock); ARGV: slots, ttl seconds, token
_ACQUIRE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], t, ARGV[3])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
"""


class RedisSlots(Slots):
    """A counting semaphore in Redis, shared by every web worker on every host; while Redis cannot
    be reached, this host's lock files stand in."""

    def __init__(self, url: str, config: Any, local: FileSlots) -> None:
        import redis  # only with TONGBAO_REDIS_URL

        self.errors = (redis.RedisError, OSError)
        self.local = local
        self.config = config
        self.key = f"{config['RATELIMIT_KEY_PREFIX']}:password-check-slots"
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.script = self.client.register_script(_ACQUIRE)

    def acquire(self) -> str | int | None:
        token = secrets.token_hex(8)
        args: list[int | str] = [
            int(self.config["PASSWORD_CHECK_SLOTS"]),
            int(self.config["PASSWORD_CHECK_SLOT_TTL"]),
            token,
        ]
        try:
            return token if self.script(keys=[self.key], args=args) == 1 else None
        except self.errors:
            return self.local.acquire()

    def release(self, token: str | int) -> None:
        if isinstance(token, int):
            self.local.release(token)
            return
        with suppress(*self.errors):  # unreachable: the slot frees itself after PASSWORD_CHECK_SLOT_TTL
            self.client.zrem(self.key, token)
