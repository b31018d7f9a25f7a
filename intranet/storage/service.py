"""put / get / delete / download of files kept in the database, with a size limit per kind.

`put` adds the row to the caller's transaction: the file is committed with the record that refers
to it, or not at all (nothing to clean up on a disk when a transaction fails)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from flask import Response, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from ..errors import Invalid, NotFound
from ..extensions import db
from .models import StoredFile

MB = 1024 * 1024
# kind -> (the app setting that overrides the limit, the default limit in bytes)
LIMITS: dict[str, tuple[str | None, int]] = {
    "loss_attachment": ("TONGBAO_MAX_ATTACHMENT_BYTES", 10 * MB),
    "credit_report": ("TONGBAO_MAX_ATTACHMENT_BYTES", 10 * MB),
    "consultation_attachment": ("TONGBAO_MAX_CONSULTATION_BYTES", 5 * MB),  # one file with a question or answer
    "roster_upload": ("MAX_CONTENT_LENGTH", 32 * MB),  # a roster spreadsheet: anything the app accepts
    "export": ("TONGBAO_MAX_EXPORT_BYTES", 256 * MB),
}


class TooLarge(Invalid):
    code = "file_too_large"


def limit(kind: str) -> int:
    """The largest file of this kind, in bytes (an unknown kind is a programming error)."""
    setting, default = LIMITS[kind]
    value = current_app.config.get(setting) if setting else None
    return int(value or default)


def refuse_if_too_large(kind: str, filename: str, size: int) -> None:
    most = limit(kind)
    if size > most:
        raise TooLarge(_l("文件 %(name)s 超过 %(mb)s MB", name=filename, mb=f"{most / MB:g}"), field="file")


def put(kind: str, filename: str, content_type: str, data: bytes, *, now: datetime | None = None) -> StoredFile:
    """Store the bytes in the caller's transaction (flushed: the row has its id); refuses a file over
    the kind's limit with `TooLarge` (422 `file_too_large`)."""
    refuse_if_too_large(kind, filename, len(data))
    row = StoredFile(
        kind=kind,
        filename=filename[:255],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        created_at=now or datetime.now(UTC),
    )
    db.session.add(row)
    db.session.flush()
    return row


def get(file_id: int | None) -> StoredFile:
    """The stored file (its bytes are read on first use of `.data`); NotFound when there is none."""
    row = db.session.get(StoredFile, file_id) if file_id is not None else None
    if row is None:
        raise NotFound(_l("文件不存在"), code="file_not_found")
    return row


def delete(file_id: int) -> bool:
    """Remove a stored file (in the caller's transaction); False when it was already gone."""
    gone = db.session.execute(sql_delete(StoredFile).where(StoredFile.id == file_id))
    return bool(gone.rowcount)  # type: ignore[attr-defined]


def purge(kind: str, older_than: timedelta, *, now: datetime | None = None) -> int:
    """Remove the files of a kind stored before now - older_than (e.g. exports nobody fetched)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    ids = list(db.session.scalars(select(StoredFile.id).where(StoredFile.kind == kind, StoredFile.created_at < cutoff)))
    if ids:
        db.session.execute(sql_delete(StoredFile).where(StoredFile.id.in_(ids)))
    return len(ids)


def download(row: StoredFile, *, filename: str | None = None, content_type: str | None = None) -> Response:
    """The file as an attachment, private and never cached, its type not sniffed."""
    name = filename or row.filename
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "").replace("\\", "_")
    response = Response(row.data, mimetype=content_type or row.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.set_etag(row.sha256)
    return response
