"""A second look before a mass or irreversible staff action (publish a roster, confirm it, resume its
invitations, issue every claimed policy, pay a claim, uphold an objection, publish a risk notice).

The first POST of such a form shows a page saying what will happen, to how many (enterprises,
messages, USD) and to whom; it carries the submitted fields on, plus a signed token bound to the
action, its object, the user and those counts, with a nonce. The second POST re-reads the counts:
unchanged, the nonce is recorded as used and the action runs, both in one transaction; changed (the
roster moved in between), the page asks again with the new numbers; a token already used, expired
or forged asks again too. "Cancel" changes nothing. A view stays thin:

    step = confirmations.confirm(lambda: service.x_plan(...), lambda: service.x(...), back=url)
    if step.page is not None:
        return step.page
    flash(...)  # step.result is what the action returned

or, when the view only flashes and goes back, `return confirmed_redirect(make_plan, act, back=url,
done=lambda result: message)`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from flask import current_app, flash, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Integer, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .clock import now as clock_now
from .coltypes import UTCDateTime
from .db_tx import transactional
from .errors import ServiceError
from .extensions import db

R = TypeVar("R")

SALT = "tongbao.confirmation"
MAX_AGE_S = 30 * 60  # a confirmation page left open longer asks again
TOKEN_FIELD = "confirmation"  # noqa: S105 - a form field name
CANCEL_FIELD = "cancel"
WHO_MAX = 10
NOT_CARRIED = {"csrf_token", TOKEN_FIELD, CANCEL_FIELD, "submit"}

# what a count means, in the order the page lists them
COUNT_LABELS: dict[str, Any] = {
    "enterprises": _l("涉及企业（家）"),
    "policies": _l("保单（份）"),
    "messages": _l("将发送的消息（邮件和短信，条）"),
    "usd": _l("金额（美元）"),
}

PROBLEMS: dict[str, Any] = {
    "stale": _l("自您打开确认页以来，数字已经变化（见下表），请核对后重新确认。"),
    "used": _l("这次确认已经使用过，不能重复提交。如仍要执行，请核对后重新确认。"),
    "expired": _l("确认页已过期或无效，请核对后重新确认。"),
}


class UsedConfirmation(db.Model):  # type: ignore[name-defined,misc]
    """The nonce of every confirmation that ran its action: a token is good once."""

    __tablename__ = "used_confirmations"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(Integer)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass
class Plan:
    """What an action will do, computed by its service from the current state."""

    action: str  # e.g. "roster.publish" (the audit log's name of the action)
    object_id: int | str
    title: Any  # one sentence: what will happen
    counts: dict[str, int | Decimal]  # keys of COUNT_LABELS
    who: Sequence[str] = ()  # the first names of those it reaches
    who_total: int | None = None  # how many there are in all (default: len(who))
    warning: Any = None  # e.g. that it cannot be undone
    details: Sequence[Any] = field(default_factory=tuple)  # further lines worth reading first

    def bound(self) -> dict[str, str]:
        return {key: str(value) for key, value in sorted(self.counts.items())}

    @property
    def rows(self) -> list[tuple[str, Any, str]]:
        return [(key, label, _shown(self.counts[key])) for key, label in COUNT_LABELS.items() if key in self.counts]

    @property
    def more(self) -> int:
        total = self.who_total if self.who_total is not None else len(self.who)
        return max(total - len(self.who[:WHO_MAX]), 0)


def _shown(value: int | Decimal) -> str:
    return f"{value:,.2f}" if isinstance(value, Decimal) else f"{value:,}"


@dataclass
class Step(Generic[R]):
    page: Any = None  # a response to return (the confirmation page, or the redirect after cancel)
    result: R | None = None  # what the action returned, once it ran


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _user_id() -> int | None:
    return getattr(current_user, "id", None)


def token_for(plan: Plan) -> str:
    payload = {
        "a": plan.action,
        "o": str(plan.object_id),
        "u": _user_id(),
        "c": plan.bound(),
        "n": secrets.token_hex(16),
    }
    return str(_serializer().dumps(payload))


def _read(token: str, plan: Plan) -> tuple[str | None, dict[str, Any]]:
    """(problem or None, payload) for a submitted token against the current plan."""
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE_S)
    except (SignatureExpired, BadSignature):
        return "expired", {}
    if not isinstance(payload, dict) or (payload.get("a"), payload.get("o"), payload.get("u")) != (
        plan.action,
        str(plan.object_id),
        _user_id(),
    ):
        return "expired", {}
    if db.session.get(UsedConfirmation, str(payload.get("n"))) is not None:
        return "used", payload
    if payload.get("c") != plan.bound():
        return "stale", payload
    return None, payload


def _spend(payload: dict[str, Any], now: datetime) -> bool:
    """Record the nonce as used (False: another request got there first)."""
    db.session.execute(delete(UsedConfirmation).where(UsedConfirmation.used_at < now - timedelta(days=1)))
    try:
        with db.session.begin_nested():
            db.session.add(
                UsedConfirmation(
                    nonce=str(payload["n"]),
                    action=str(payload["a"]),
                    object_id=str(payload["o"]),
                    user_id=payload.get("u"),
                    used_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


@transactional
def _redeem(
    make_plan: Callable[[], Plan], act: Callable[[], R], token: str
) -> tuple[str | None, Plan, dict[str, Any], R | None]:
    """In one transaction: re-read the plan, check the token against it, spend it and act."""
    plan = make_plan()
    problem, payload = _read(token, plan)
    if problem is not None:
        return problem, plan, payload, None
    if not _spend(payload, clock_now()):
        return "used", plan, payload, None
    return None, plan, payload, act()


def _changes(plan: Plan, payload: dict[str, Any]) -> list[tuple[Any, str, str]]:
    before = payload.get("c") or {}
    return [
        (label, _shown(Decimal(before[key]) if key == "usd" else int(before[key])), _shown(plan.counts[key]))
        for key, label in COUNT_LABELS.items()
        if key in plan.counts and key in before and before[key] != str(plan.counts[key])
    ]


def ask(plan: Plan, *, back: str, problem: str | None = None, payload: dict[str, Any] | None = None) -> Any:
    """The confirmation page (200; 409 when it asks again after a refused token)."""
    carried = [(k, v) for k, v in request.form.items(multi=True) if k not in NOT_CARRIED]
    page = render_template(
        "confirmations/confirm.html",
        plan=plan,
        token=token_for(plan),
        carried=carried,
        action_url=request.path,
        back=back,
        problem=PROBLEMS.get(problem or ""),
        changes=_changes(plan, payload or {}) if problem == "stale" else [],
        who=list(plan.who[:WHO_MAX]),
    )
    return page, (409 if problem else 200)


def confirm(make_plan: Callable[[], Plan], act: Callable[[], R], *, back: str) -> Step[R]:
    """The view's one call (inside `validate_on_submit`): ask, cancel, or check and act.

    `make_plan` and `act` may raise `ServiceError`; the view shows it as it did before."""
    if request.form.get(CANCEL_FIELD):
        flash(str(_l("已取消，没有做任何更改")), "info")
        return Step(page=redirect(back))
    token = request.form.get(TOKEN_FIELD)
    if not token:
        return Step(page=ask(make_plan(), back=back))
    problem, plan, payload, result = _redeem(make_plan, act, token)
    if problem is not None:
        return Step(page=ask(plan, back=back, problem=problem, payload=payload))
    return Step(result=result)


def confirmed_redirect(
    make_plan: Callable[[], Plan], act: Callable[[], R], *, back: str, done: Callable[[R], str]
) -> Any:
    """The usual view body around `confirm`: the confirmation page while one is due; once done,
    flash `done(result)` and go `back`; a service's refusal is flashed and goes back too."""
    try:
        step = confirm(make_plan, act, back=back)
    except ServiceError as exc:
        flash(str(exc.message), "error")
        return redirect(back)
    if step.page is not None:
        return step.page
    flash(done(step.result), "success")  # type: ignore[arg-type]  # no page: the action ran
    return redirect(back)
