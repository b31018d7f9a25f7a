"""线上咨询 (online consultation): an enterprise's user asks (topic, text, optional attachment); the
question goes to the account managers of the enterprise's district (their worklist and an e-mail);
insurer staff answer in a thread; the enterprise is told. The bureau sees counts only
(`counts.py`); a question waiting past its reply time (working days) alerts the insurer (`overdue.py`).

The text of a thread is for the enterprise and the insurer only: audit rows and messages name the
question's number and topic, never its text (bureau staff read the audit log and the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..actors import Actor
from ..audit import service as audit
from ..db_tx import transactional
from ..enterprises.models import Enterprise
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..losses import attachments as files
from ..losses import rules
from ..security import ensure_role
from ..storage import service as storage
from ..storage.models import StoredFile
from . import notify
from .labels import STATUS_LABELS, TOPICS, status_label, topic_label
from .models import Consultation, ConsultationMessage, ConsultationStatus

ATTACHMENT_KIND = "consultation_attachment"  # its size limit is in storage.LIMITS
MAX_TEXT = 4000
STAFF = ("insurer",)  # who reads and answers the threads
__all__ = ["STATUS_LABELS", "TOPICS", "status_label", "topic_label"]

# --- input ------------------------------------------------------------------------------------


def read_upload(filename: str, stream: IO[bytes]) -> files.Upload:
    """An attachment: at most the kind's limit (read no further than one byte past it), a known
    document type whose bytes match its extension."""
    most = storage.limit(ATTACHMENT_KIND)
    data = stream.read(most + 1)
    name = files.clean_filename(filename)
    try:
        storage.refuse_if_too_large(ATTACHMENT_KIND, name, len(data))
    except storage.TooLarge as exc:
        raise storage.TooLarge(exc.message, field="attachment") from None
    try:
        return files.check(name, data)
    except Invalid as exc:
        raise Invalid(exc.message, code=exc.code, field="attachment") from None


def _clean(text: str) -> str:
    cleaned = rules.clean_text(text, multiline=True).strip()
    if not cleaned or len(cleaned) > MAX_TEXT:
        raise Invalid(_l("请填写内容（%(n)s 字以内）", n=MAX_TEXT), code="text_required", field="text")
    return cleaned


def _add_message(
    row: Consultation, actor: Actor, text: str, upload: files.Upload | None, *, staff: bool, now: datetime
) -> ConsultationMessage:
    message = ConsultationMessage(consultation_id=row.id, author_id=actor.id, from_staff=staff, text=text, at=now)
    if upload is not None:
        stored = storage.put(ATTACHMENT_KIND, upload.filename, upload.content_type, upload.data, now=now)
        message.file_id, message.filename, message.file_size = stored.id, upload.filename, upload.size
    db.session.add(message)
    db.session.flush()
    db.session.refresh(row, attribute_names=["messages"])
    return message


def _enterprise_of(actor: Actor) -> Enterprise:
    """An enterprise's user: any active user of the enterprise may ask (no per-user permission)."""
    ensure_role(actor, "enterprise")
    enterprise = db.session.get(Enterprise, getattr(actor, "enterprise_id", None) or 0)
    if enterprise is None or not getattr(actor, "active", False):
        raise Forbidden(_l("您无权执行此操作"), code="forbidden")
    return enterprise


# --- the enterprise ---------------------------------------------------------------------------


@transactional
def ask(actor: Actor, *, topic: str, text: str, upload: files.Upload | None, now: datetime) -> Consultation:
    """A new question; the district's account managers get an e-mail in the same transaction."""
    enterprise = _enterprise_of(actor)
    if topic not in TOPICS:
        raise Invalid(_l("请选择咨询类别"), code="invalid_topic", field="topic")
    body = _clean(text)
    row = Consultation(
        enterprise_id=enterprise.id,
        district_id=enterprise.district_id,
        asked_by=actor.id,
        topic=topic,
        status=ConsultationStatus.OPEN,
        asked_at=now,
        waiting_since=now,
    )
    db.session.add(row)
    db.session.flush()
    message = _add_message(row, actor, body, upload, staff=False, now=now)
    audit.record(actor, "consultation.ask", obj=row, summary=f"#{row.id} {topic}", changes={"topic": topic})
    notify.managers(row, message, now)
    return row


@transactional
def follow_up(
    actor: Actor, consultation_id: int, *, text: str, upload: files.Upload | None, now: datetime
) -> Consultation:
    """The enterprise adds to its own thread: it waits for an answer again."""
    _enterprise_of(actor)
    row = _locked(actor, consultation_id)
    body = _clean(text)
    message = _add_message(row, actor, body, upload, staff=False, now=now)
    if row.status != ConsultationStatus.OPEN:
        row.status = ConsultationStatus.OPEN
        row.waiting_since = now
    audit.record(actor, "consultation.follow_up", obj=row, summary=f"#{row.id}")
    notify.managers(row, message, now)
    return row


# --- the insurer ------------------------------------------------------------------------------


@transactional
def answer(
    actor: Actor, consultation_id: int, *, text: str, upload: files.Upload | None, now: datetime
) -> Consultation:
    """An insurer's answer (audited); the enterprise is told on its channels, in its language."""
    ensure_role(actor, *STAFF)
    row = _locked(actor, consultation_id)
    body = _clean(text)
    message = _add_message(row, actor, body, upload, staff=True, now=now)
    before = row.status
    row.status = ConsultationStatus.ANSWERED
    row.answered_at = now
    audit.record(
        actor,
        "consultation.answer",
        obj=row,
        summary=f"#{row.id} {row.topic}",
        changes={"status": [before, row.status], "message_id": message.id},
    )
    notify.enterprise(row, message, now)
    return row


# --- reading ----------------------------------------------------------------------------------


def _scoped(actor: Actor, row: Consultation | None, consultation_id: int) -> Consultation:
    """Enterprises see their own threads only (another's is 404, as if it did not exist);
    insurer staff see all; anyone else (the bureau) none."""
    if actor.role == "enterprise":
        if row is None or row.enterprise_id != getattr(actor, "enterprise_id", None):
            raise NotFound(_l("咨询 %(id)s 不存在", id=consultation_id))
        return row
    ensure_role(actor, *STAFF)
    if row is None:
        raise NotFound(_l("咨询 %(id)s 不存在", id=consultation_id))
    return row


def get_visible(actor: Actor, consultation_id: int) -> Consultation:
    return _scoped(actor, db.session.get(Consultation, consultation_id), consultation_id)


def _locked(actor: Actor, consultation_id: int) -> Consultation:
    stmt = select(Consultation).where(Consultation.id == consultation_id).with_for_update()
    row = db.session.scalar(stmt.execution_options(populate_existing=True))
    return _scoped(actor, row, consultation_id)


def attachment(actor: Actor, consultation_id: int, message_id: int) -> tuple[ConsultationMessage, StoredFile]:
    row = get_visible(actor, consultation_id)
    message = next((m for m in row.messages if m.id == message_id and m.file_id is not None), None)
    if message is None:
        raise NotFound(_l("文件不存在"), code="file_not_found")
    return message, storage.get(message.file_id)


def for_enterprise(actor: Actor) -> list[Consultation]:
    enterprise = _enterprise_of(actor)
    return list(
        db.session.scalars(
            select(Consultation).where(Consultation.enterprise_id == enterprise.id).order_by(Consultation.id.desc())
        )
    )


def queue_query(actor: Actor, status: str | None, district_id: int | None = None) -> Select[Any]:
    """The insurer's list: waiting questions oldest first, or every question newest first."""
    ensure_role(actor, *STAFF)
    stmt = select(Consultation)
    if district_id:
        stmt = stmt.where(Consultation.district_id == district_id)
    if status in STATUS_LABELS:
        return stmt.where(Consultation.status == status).order_by(Consultation.waiting_since, Consultation.id)
    return stmt.order_by(Consultation.id.desc())


def waiting_in(district_ids: list[int]) -> list[Consultation]:
    """Questions of these districts that wait for an answer, oldest first (a manager's worklist)."""
    if not district_ids:
        return []
    return list(
        db.session.scalars(
            select(Consultation)
            .where(Consultation.district_id.in_(district_ids), Consultation.status == ConsultationStatus.OPEN)
            .order_by(Consultation.waiting_since, Consultation.id)
        )
    )
