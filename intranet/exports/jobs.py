"""Exports as background tasks (kind `export.build`): the staff page's button submits one, a progress
page follows it, and the finished file is kept by the storage module (in the database), so the
person who asked downloads it from whichever host answers.

Idempotent: one task per person, dataset, format, programme and request (the page's `request`
token), so a double click or a resubmitted form makes one export and one audit record; a retry
after a killed worker finds the file an earlier attempt stored (noted in the task's result) and
stores no other."""

from __future__ import annotations

import io
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..actors import Actor
from ..clock import shanghai
from ..db_tx import transactional
from ..errors import NotFound, ServiceError
from ..extensions import db
from ..i18n import current_language, freeze
from ..programmes.models import Programme
from ..security import ensure_role
from ..storage import service as storage
from ..storage.models import StoredFile
from ..tasks import service as tasks
from ..tasks.models import Task
from . import service

KIND = "export.build"
KEEP = timedelta(days=1)  # a built file is kept this long, then removed by the next export
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def new_request_token() -> str:
    """What a rendering of the export page puts in its forms: one export per click, not per page view."""
    return secrets.token_hex(12)


def task_key(actor: Actor, kind: str, fmt: str, year: int, token: str) -> str:
    return f"{KIND}:{actor.id}:{kind}:{fmt}:{year}:{token}"


@transactional
def start(actor: Actor, kind: str, fmt: str, programme: Programme, token: str, *, now: datetime) -> Task:
    """Submit the export (audited now, as asked), or return the task this request already made."""
    ensure_role(actor, *service.EXPORTERS)
    if fmt not in service.FORMATS:
        raise NotFound(_l("不支持的格式：%(fmt)s", fmt=fmt), code="export_not_found")
    data = service.dataset(kind, programme)
    token = re.sub(r"[^0-9a-zA-Z]", "", token)[:40] or new_request_token()
    key = task_key(actor, kind, fmt, programme.year, token)
    existing = db.session.scalar(select(Task).where(Task.key == key))
    if existing is not None:
        return existing
    rows = service.record_export(actor, data, fmt, now=now)
    payload = {
        "kind": kind,
        "format": fmt,
        "programme_id": programme.id,
        "year": programme.year,
        "filename": f"{data.filename}-{shanghai(now).strftime('%Y%m%d-%H%M')}.{fmt}",
        "language": current_language(),  # headers and labels as on the page the export was asked from
        "rows": rows,
        "actor_id": actor.id,
    }
    return tasks.submit(KIND, payload, key=key)


def task_for(actor: Actor, task_id: int) -> Task:
    """An export task of this staff member (another person's export is not theirs to fetch)."""
    ensure_role(actor, *service.EXPORTERS)
    task = db.session.get(Task, task_id)
    if task is None or task.kind != KIND or task.payload.get("actor_id") != actor.id:
        raise NotFound(_l("导出任务 %(id)s 不存在", id=task_id), code="export_not_found")
    return task


def file_of(actor: Actor, task_id: int) -> tuple[Task, StoredFile]:
    task = task_for(actor, task_id)
    file_id = (task.result or {}).get("file_id") if task.status == "done" else None
    if file_id is None:
        raise NotFound(_l("导出文件尚未生成"), code="export_not_ready")
    try:
        return task, storage.get(int(file_id))
    except NotFound:
        raise NotFound(_l("导出文件已过期，请重新导出"), code="export_expired") from None


# --- the task ------------------------------------------------------------------------------------


def build(task: Task) -> dict[str, Any]:
    """The handler: write the file (reporting progress), keep it, and say where it is."""
    done = _already_stored(task)
    if done is not None:
        return done
    payload = task.payload
    programme = db.session.get(Programme, payload["programme_id"])
    if programme is None:
        return {"error": freeze(_l("统保项目不存在"))}
    with force_locale(payload.get("language") or "zh"):
        data = service.dataset(payload["kind"], programme)
        total = data.count()
        tasks.set_progress(task.id, 0, total)
        data.progress = lambda n: tasks.set_progress(task.id, n, total)
        body = _write(data, payload["format"])
    db.session.commit()  # end the read (SQLite: progress was written meanwhile on another connection)
    try:
        return _keep(task.id, payload["filename"], MIMETYPES[payload["format"]], body, total)
    except ServiceError as exc:  # too large to keep: retrying would not help
        return {"error": freeze(exc.message), "rows": total}


def _write(data: service.Dataset, fmt: str) -> bytes:
    if fmt == "csv":
        return b"".join(service.csv_chunks(data))
    target = io.BytesIO()
    service.write_xlsx(data, target)
    return target.getvalue()


def _already_stored(task: Task) -> dict[str, Any] | None:
    file_id = (task.result or {}).get("file_id")
    if file_id is not None and db.session.get(StoredFile, file_id) is not None:
        return task.result
    return None


@transactional
def _keep(task_id: int, filename: str, content_type: str, body: bytes, rows: int) -> dict[str, Any]:
    stored = storage.put("export", filename, content_type, body)
    result = {"file_id": stored.id, "filename": filename, "rows": rows, "size": stored.size}
    # noted with the file, so a retry after this commit finds it instead of building another
    db.session.execute(update(Task).where(Task.id == task_id).values(result=result, progress_done=rows))
    storage.purge("export", KEEP)
    return result
