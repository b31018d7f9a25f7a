"""Objections (异议) to roster entries: filed by the public during the notice period, resolved
by bureau or insurer staff with a written reply that the notifier sends to the objector."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, text
from sqlalchemy.exc import IntegrityError

from ..actors import PUBLIC, Actor
from ..audit import service as audit
from ..confirmations import Plan
from ..db_tx import transactional
from ..errors import Invalid, NotFound, RateLimited, Refused
from ..extensions import db
from ..outbox import service as outbox
from ..programmes.models import Programme
from ..security import ensure_role
from ..uscc import normalize_uscc
from .board import notice_state
from .models import EntryStatus, Objection, ObjectionStatus, Roster, RosterEntry, RosterStatus
from .notice_service import roster_label

RESOLVERS = ("bureau", "insurer")
DECISIONS = (ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED)
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone
# flood protection per client (hashed IP): (window, most objections in it); app config may override
DEFAULT_LIMITS: tuple[tuple[timedelta, int], ...] = ((timedelta(hours=1), 5), (timedelta(days=1), 20))
_PHONE = re.compile(r"^\+?\d{7,15}$")


@dataclass
class ObjectionInput:
    uscc: str
    reason: str
    contact_name: str
    contact: str


def new_reference(year: int) -> str:
    """YY-2024-7KQ2M9XD: unguessable (32^8 ≈ 10^12), unambiguous when read aloud."""
    return f"YY-{year}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def client_hash(ip: str | None) -> str:
    """A keyed hash of the client address: enough to count floods, not enough to recover the IP."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, (ip or "unknown").encode(), hashlib.sha256).hexdigest()


def normalize_contact(raw: str) -> str:
    """An email address (normalised) or a phone number (digits, optional +); Invalid otherwise."""
    value = (raw or "").strip()
    if "@" in value:
        from email_validator import EmailNotValidError, validate_email  # not at app start-up (15 ms)

        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            pass
    else:
        phone = re.sub(r"[\s\-()]", "", value)
        if _PHONE.match(phone):
            return phone
    raise Invalid(_l("请填写有效的邮箱或电话号码"), field="contact")


def contact_channel(contact: str) -> str:
    return "email" if "@" in contact else "sms"


def _limits() -> tuple[tuple[timedelta, int], ...]:
    return tuple(current_app.config.get("TONGBAO_OBJECTION_LIMITS") or DEFAULT_LIMITS)


def _check_rate(ip_hash: str, now: datetime) -> None:
    if db.engine.dialect.name == "postgresql":
        # one filer at a time per client, across workers (SQLite: the write transaction is exclusive)
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"objection:{ip_hash}"})
    for window, most in _limits():
        filed = db.session.scalar(
            select(func.count(Objection.id)).where(Objection.ip_hash == ip_hash, Objection.filed_at > now - window)
        )
        if (filed or 0) >= most:
            hours = int(window.total_seconds() // 3600)
            raise RateLimited(
                _l("提交过于频繁：每 %(hours)s 小时最多 %(most)s 件异议，请稍后再试", hours=hours, most=most),
                code="objection_rate_limited",
            )


def _entry_for(programme: Programme, uscc: str) -> RosterEntry:
    code = normalize_uscc(uscc)
    entry = db.session.scalar(
        select(RosterEntry)
        .join(Roster, Roster.id == RosterEntry.roster_id)
        .where(
            Roster.programme_id == programme.id,
            Roster.status.in_([RosterStatus.NOTICE, RosterStatus.CONFIRMED]),
            RosterEntry.uscc == code,
            RosterEntry.status == EntryStatus.LISTED,
            RosterEntry.eligible,
        )
        .order_by(Roster.seq.desc())
        .limit(1)
    )
    if entry is None:
        raise Invalid(
            _l("统一社会信用代码 %(uscc)s 不在 %(year)s 年度公示名单上", uscc=code or uscc, year=programme.year),
            field="uscc",
        )
    return entry


def _ensure_period(entry: RosterEntry, now: datetime) -> None:
    roster = entry.roster
    state = notice_state(roster, now)
    if state == "open":
        return
    if state == "upcoming":
        raise Refused(
            _l(
                "%(roster)s的公示期自 %(start)s 开始，届时方可提出异议",
                roster=roster_label(roster),
                start=str(roster.notice_start),
            ),
            code="notice_not_started",
        )
    raise Refused(
        _l(
            "%(roster)s的公示期已于 %(end)s 结束，不再受理异议", roster=roster_label(roster), end=str(roster.notice_end)
        ),
        code="notice_ended",
    )


@transactional
def file_objection(
    programme: Programme, data: ObjectionInput, *, ip: str | None, now: datetime, actor: Actor = PUBLIC
) -> Objection:
    """Anyone, during the notice period: an objection against a listed entry, with a reference."""
    entry = _entry_for(programme, data.uscc)
    _ensure_period(entry, now)
    reason = (data.reason or "").strip()
    name = (data.contact_name or "").strip()
    if len(reason) < 5:
        raise Invalid(_l("请写明异议理由（至少5个字）"), field="reason")
    if not name:
        raise Invalid(_l("请填写联系人姓名"), field="contact_name")
    contact = normalize_contact(data.contact)
    ip_hash = client_hash(ip)
    _check_rate(ip_hash, now)
    for _attempt in range(5):
        objection = Objection(
            reference=new_reference(programme.year),
            roster_entry_id=entry.id,
            reason=reason[:4000],
            contact_name=name[:64],
            contact=contact,
            filed_at=now,
            ip_hash=ip_hash,
            status=ObjectionStatus.OPEN,
        )
        try:
            with db.session.begin_nested():
                db.session.add(objection)
                db.session.flush()
        except IntegrityError:  # a reference collision: draw again
            continue
        audit.record(
            actor, "objection.file", obj=objection, summary=f"{objection.reference} → {entry.uscc} {entry.name}"
        )
        return objection
    raise RuntimeError("could not draw a unique objection reference")


def by_reference(year: int, reference: str) -> Objection:
    objection = db.session.scalar(select(Objection).where(Objection.reference == (reference or "").strip().upper()))
    if objection is None or objection.entry.roster.programme.year != year:
        raise NotFound(_l("没有编号为 %(ref)s 的异议", ref=reference), code="objection_not_found")
    return objection


def get_objection(objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None:
        raise NotFound(_l("没有编号为 %(ref)s 的异议", ref=objection_id), code="objection_not_found")
    return objection


def staff_query(status: str | None = "open", programme: Programme | None = None) -> Select[Any]:
    stmt = select(Objection).join(RosterEntry, RosterEntry.id == Objection.roster_entry_id)
    if status:
        stmt = stmt.where(Objection.status == status)
    if programme is not None:
        stmt = stmt.where(RosterEntry.programme_id == programme.id)
    return stmt.order_by(Objection.filed_at, Objection.id)


def _queue_reply(objection: Objection, now: datetime) -> None:
    entry = objection.entry
    programme = entry.roster.programme
    # message templates render with the app's context processors, which expect a request
    with nullcontext() if has_request_context() else current_app.test_request_context("/"):
        _queue_reply_now(objection, entry, programme, now)


def _queue_reply_now(objection: Objection, entry: RosterEntry, programme: Programme, now: datetime) -> None:
    outbox.queue(
        channel=contact_channel(objection.contact),
        recipient=objection.contact,
        job="objection_reply",
        template="objection_reply",
        context={
            "reference": objection.reference,
            "contact_name": objection.contact_name,
            "enterprise_name": entry.name,
            "uscc": entry.uscc,
            "programme_year": programme.year,
            "decision": objection.status,
            "reply": objection.reply or "",
            "objection_url": (
                f"{current_app.config['TONGBAO_BASE_URL']}/notices/{programme.year}/objections/{objection.reference}"
            ),
        },
        dedupe_key=f"objection_reply:{objection.id}",
        now=now,
    )


def uphold_plan(objection: Objection) -> Plan:
    """What upholding does: the entry leaves the roster (it leaves the public board at once) and
    the reply goes to the objector."""
    if objection.status != ObjectionStatus.OPEN:
        raise Refused(_l("异议 %(ref)s 已处理", ref=objection.reference), code="objection_resolved")
    entry = objection.entry
    listed = int(entry.status == EntryStatus.LISTED)
    return Plan(
        action="objection.upheld",
        object_id=objection.id,
        title=_l(
            "异议 %(ref)s 成立：将 %(name)s 移出%(roster)s",
            ref=objection.reference,
            name=entry.name,
            roster=roster_label(entry.roster),
        ),
        counts={"enterprises": listed, "messages": 1},
        who=[f"{entry.name}（{entry.uscc}）"],
        details=(_l("书面答复将发送给异议人：%(contact)s", contact=objection.contact),),
        warning=_l("移出后该企业不在本名单中，不能在本名单中恢复；如需更正须通过补充名单。"),
    )


@transactional
def resolve(actor: Actor, objection: Objection, *, decision: str, reply: str, now: datetime) -> Objection:
    """Uphold (the entry leaves the roster) or dismiss, with a written reply kept on record and
    queued to the objector in the same transaction (audited)."""
    ensure_role(actor, *RESOLVERS)
    db.session.refresh(objection, with_for_update=True)  # two officers at once: the second is refused
    if objection.status != ObjectionStatus.OPEN:
        raise Refused(
            _l("异议 %(ref)s 已处理", ref=objection.reference),
            code="objection_resolved",
        )
    if decision not in DECISIONS:
        raise Invalid(_l("请选择成立或不成立"), field="decision")
    reply = (reply or "").strip()
    if len(reply) < 2:
        raise Invalid(_l("请填写答复内容"), field="reply")
    entry = objection.entry
    if entry.roster.status != RosterStatus.NOTICE:
        raise Refused(
            _l("%(roster)s不在公示中，异议无法处理", roster=roster_label(entry.roster)),
            code="roster_not_under_notice",
        )
    before_entry = entry.status
    objection.status = decision
    objection.reply = reply
    objection.resolved_by = actor.id
    objection.resolved_at = now
    if decision == ObjectionStatus.UPHELD and entry.status == EntryStatus.LISTED:
        entry.status = EntryStatus.REMOVED
        entry.updated_at = now
    _queue_reply(objection, now)
    audit.record(
        actor,
        f"objection.{decision}",
        obj=objection,
        summary=f"{objection.reference}: {entry.uscc} {entry.name}",
        changes={
            "status": [ObjectionStatus.OPEN, decision],
            "entry_status": [before_entry, entry.status],
            "reply": reply,
        },
    )
    return objection
