"""The web import: an ImportJob row tracks an upload through check (dry run) and apply.

The slow work runs as tasks (`roster.import.check`, `roster.import.apply`) in `tongbao worker`
processes on any host, never in a web worker; each reports progress in short transactions of its
own, so a polling page served by any web worker sees it. The write itself is one transaction
(nothing half-written) that also marks the job done, so a task retried after its worker died
either writes everything or finds the job done and writes nothing."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from ...audit import service as audit
from ...auth.models import User
from ...clock import now as clock_now
from ...db_tx import transactional
from ...errors import Invalid, NotFound, Refused
from ...extensions import db
from ...i18n import freeze_text, listing, stored_error
from ...programmes.models import Programme
from ...security import ensure_role
from ...storage import service as storage
from ...tasks import service as tasks
from ...tasks.models import Task
from ..models import ImportJob
from . import service
from .reader import FileRefused, kind_of, sniff

log = logging.getLogger(__name__)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
RUNNING = ("queued", "running")
# the job's task gave up (its worker died again and again, or it has no task): nothing was written
INTERRUPTED = _l("导入被中断，未写入任何数据，请重新上传文件")
CHECK = "roster.import.check"
APPLY = "roster.import.apply"


@contextmanager
def job_file(job: ImportJob) -> Iterator[Path]:
    """The job's upload (stored in the database, so any worker on any host reads it) as a
    temporary file of this process, removed afterwards."""
    if job.file_id is None:
        raise FileRefused(_l("上传的文件已不存在或被改动，请重新上传"))
    stored = storage.get(job.file_id)
    suffix = Path(job.filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="tongbao-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(stored.data)
        yield path


@transactional
def current_job(job_id: int, *, now: datetime) -> ImportJob:
    """The job as the page should show it. A worker that dies mid-job is replaced by another within
    a minute (the task is retried), so the job runs on; only when its task has given up (or it has
    none) is the job marked failed, so the page stops polling."""
    job = get_job(job_id)
    if job.status in RUNNING:
        key = f"{CHECK if job.phase == 'check' else APPLY}:{job.id}"
        task_status = db.session.scalar(select(Task.status).where(Task.key == key))
        if task_status in (None, "failed", "done"):  # "done" yet running: the task ended without it
            db.session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id, ImportJob.status.in_(RUNNING))
                .values(status="failed", progress=100, finished_at=now, message=freeze_text(INTERRUPTED))
                .execution_options(synchronize_session=False)
            )
            db.session.refresh(job)
    return job


def get_job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(_l("没有这个导入任务"), code="import_not_found")
    return job


def _save(upload: FileStorage, target: Path, max_bytes: int) -> tuple[int, str]:
    """Stream the upload to disk, refusing as soon as it exceeds the limit."""
    import hashlib

    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while block := upload.stream.read(1 << 20):
            size += len(block)
            if size > max_bytes:
                raise FileRefused(_l("文件过大，上限为 %(mb)s MB", mb=max_bytes // 1048576))
            digest.update(block)
            out.write(block)
    return size, digest.hexdigest()


@transactional
def create_job(actor: User, programme: Programme, upload: FileStorage, *, now: datetime) -> ImportJob:
    """Refuse fast what is not a safe spreadsheet, store the upload in the database (any worker on
    any host reads it from there) and record the job."""
    ensure_role(actor, "bureau")
    filename = Path(upload.filename or "").name[-200:]
    kind = kind_of(filename)
    limits = service.limits()
    with tempfile.TemporaryDirectory(prefix="tongbao-upload-") as folder:
        target = Path(folder) / f"upload.{kind}"
        size, sha256 = _save(upload, target, limits.max_bytes)
        sniff(target, filename, limits)
        stored = storage.put("roster_upload", filename, CONTENT_TYPES[kind], target.read_bytes(), now=now)
    job = ImportJob(
        programme_id=programme.id,
        created_by=actor.id,
        created_at=now,
        filename=filename,
        file_id=stored.id,
        sha256=sha256,
        status="queued",
        phase="check",
        progress=0,
        heartbeat_at=now,
        errors=[],
        accepted_rows=[],
    )
    db.session.add(job)
    db.session.flush()
    audit.record(
        actor,
        "roster.import.upload",
        obj=job,
        summary=f"{filename} ({size} bytes) for {programme.year}",
        changes={"file": filename, "bytes": size, "sha256": sha256, "programme": programme.year},
    )
    return job


@transactional
def _set(job_id: int, **values: Any) -> None:
    values.setdefault("heartbeat_at", clock_now())
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


def _reporter(job_id: int, low: int, high: int) -> Callable[[float], None]:
    shown = [-1]

    def report(fraction: float) -> None:
        percent = low + int((high - low) * fraction)
        if percent >= shown[0] + 2:
            shown[0] = percent
            _set(job_id, progress=percent)

    return report


def run_check(job_id: int) -> None:
    """Task: read and validate the file; store counts and errors (nothing else written)."""
    job = get_job(job_id)
    if job.phase != "check" or job.status not in RUNNING:
        return  # checked already (a retried task)
    filename, programme = job.filename, db.session.get(Programme, job.programme_id)
    assert programme is not None  # a foreign key
    _set(job_id, status="running", progress=1)
    try:
        with job_file(job) as path:
            result = service.check_file(path, filename, programme, progress=_reporter(job_id, 1, 99))
    except FileRefused as exc:
        _set(
            job_id,
            status="refused",
            progress=100,
            message=freeze_text(exc.message),
            finished_at=clock_now(),
            errors=[stored_error(exc.row, exc.column, exc.message, "file")],
        )
        return
    except Exception:
        log.exception("roster import check %s failed", job_id)
        _set(
            job_id,
            status="failed",
            progress=100,
            finished_at=clock_now(),
            message=freeze_text(_l("检查文件时出错，请重试或联系管理员")),
        )
        return
    _set(
        job_id,
        status="checked",
        progress=100,
        total_rows=result.total,
        good_rows=len(result.entries),
        imported=0,
        ineligible=result.ineligible,
        over_threshold=[
            {"row": e.row, "uscc": e.uscc, "name": e.name, "cents": e.cents} for e in result.entries if not e.eligible
        ],
        errors=[e.stored() for e in result.errors],
        message=None,
    )


def acceptable_rows(job: ImportJob) -> set[int]:
    """Rows whose only problem is the check digit: staff may accept them one by one."""
    check_digit = {e["row"] for e in job.errors if e.get("code") == "check_digit"}
    other = {e["row"] for e in job.errors if e.get("code") != "check_digit"}
    return check_digit - other


@transactional
def start_apply(actor: User, job_id: int, *, accept_good_rows: bool, accepted_rows: list[int], now: datetime) -> None:
    """Queue the write after the report: refused at once when all-or-nothing cannot succeed."""
    ensure_role(actor, "bureau")
    job = get_job(job_id)
    if job.status != "checked":
        raise Refused(_l("该文件已在导入或已导入"), code="import_busy")
    accepted = set(accepted_rows)
    unknown = accepted - acceptable_rows(job)
    if unknown:
        raise Invalid(_l("第 %(rows)s 行不能按校验位例外接受", rows=listing(sorted(unknown))))
    remaining = [e for e in job.errors if not (e["row"] in accepted and e.get("code") == "check_digit")]
    if remaining and not accept_good_rows:
        bad = len({e["row"] for e in remaining})
        raise Refused(
            _l(
                "还有 %(n)s 行有错误：整批导入（全部或全不）不能进行。请改正文件后重新上传，或选择“只导入无误的行”",
                n=bad,
            ),
            code="import_has_errors",
        )
    if job.good_rows + len(accepted) == 0:
        raise Refused(_l("没有可以导入的行"), code="import_empty")
    result = db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == "checked")
        .values(
            status="queued",
            phase="apply",
            progress=0,
            heartbeat_at=now,
            accept_good_rows=accept_good_rows,
            accepted_rows=sorted(accepted),
            message=None,
        )
    )
    if getattr(result, "rowcount", 0) != 1:  # another click got there first
        raise Refused(_l("该文件已在导入或已导入"), code="import_busy")


def run_apply(job_id: int, actor_id: int, target: str | None = None) -> None:
    """Task: re-read and re-check the stored file, then write it in one transaction."""
    job = get_job(job_id)
    if job.phase != "apply" or job.status not in RUNNING:
        return  # written (or refused) already: a retried task does nothing
    actor = db.session.get(User, actor_id)
    programme = db.session.get(Programme, job.programme_id)
    filename, sha256, accept_good, accepted = job.filename, job.sha256, job.accept_good_rows, list(job.accepted_rows)
    _set(job_id, status="running", progress=1)
    try:
        with job_file(job) as path:
            if actor is None or programme is None or service.sha256_of(path) != sha256:
                raise FileRefused(_l("上传的文件已不存在或被改动，请重新上传"))
            result = service.check_file(path, filename, programme, progress=_reporter(job_id, 1, 70))
        _set(job_id, progress=75)
        service.apply_check(
            actor,
            programme,
            result,
            now=clock_now(),
            filename=filename,
            sha256=sha256,
            accept_good_rows=accept_good,
            accepted_rows=dict.fromkeys(accepted, actor.id),
            job_id=job_id,
            target=target,
        )
    except (FileRefused, service.ImportRefused) as exc:
        errors = getattr(exc, "errors", None)
        stored = [e.stored() for e in errors] if errors is not None else None
        values: dict[str, Any] = {
            "status": "refused",
            "progress": 100,
            "message": freeze_text(exc.message),
            "finished_at": clock_now(),
        }
        if stored is not None:
            values["errors"] = stored
        _set(job_id, **values)
    except Exception:
        log.exception("roster import apply %s failed", job_id)
        _set(
            job_id,
            status="failed",
            progress=100,
            finished_at=clock_now(),
            message=freeze_text(_l("导入失败，未写入任何数据，请重试")),
        )


def check_task(task: Task) -> None:
    run_check(int(task.payload["job_id"]))


def apply_task(task: Task) -> None:
    target = task.payload.get("target")  # where staff chose the rows to land (absent: the latest draft)
    run_apply(int(task.payload["job_id"]), int(task.payload["actor_id"]), None if target is None else str(target))


@transactional
def upload(actor: User, programme: Programme, file: FileStorage, *, now: datetime) -> ImportJob:
    """The view's one call: store the file and queue its check, in one transaction."""
    job = create_job(actor, programme, file, now=now)
    tasks.submit(CHECK, {"job_id": job.id}, key=f"{CHECK}:{job.id}")
    return job


@transactional
def apply(
    actor: User,
    job_id: int,
    *,
    accept_good_rows: bool,
    accepted_rows: list[int],
    now: datetime,
    target: str | None = None,
) -> None:
    """Queue the write; `target` (a draft roster's id or "new") travels in the task's payload."""
    start_apply(actor, job_id, accept_good_rows=accept_good_rows, accepted_rows=accepted_rows, now=now)
    payload: dict[str, Any] = {"job_id": job_id, "actor_id": actor.id}
    if target is not None:
        payload["target"] = target
    tasks.submit(APPLY, payload, key=f"{APPLY}:{job_id}")
