"""Roster import: `check_file` (the dry run, nothing written) and `apply_check` (one transaction) for
the web; `import_file` for the CLI, which checks and writes in one pass (still one transaction)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ...actors import Actor
from ...audit import service as audit
from ...db_tx import transactional
from ...districts.models import District
from ...errors import Invalid, Refused
from ...extensions import db
from ...i18n import DataPair
from ...programmes.models import Programme
from ...security import ensure_role
from ..drafts import target_roster
from ..models import ImportJob, Roster
from ..service import draft_roster
from . import writer
from .headers import find_header
from .reader import FileRefused, Limits, Table, open_table
from .validate import CheckResult, RowError, Validator, district_aliases

Progress = Callable[[float], None]


class ImportRefused(Invalid):
    """Nothing was imported: row errors under all-or-nothing, or no importable row at all."""

    code = "import_refused"

    def __init__(self, message: Any, errors: list[RowError]) -> None:
        super().__init__(message, code=self.code)
        self.errors = errors


@dataclass
class ImportOutcome:
    roster_id: int
    imported: int  # eligible entries written to the roster
    ineligible: int  # valid rows above the threshold, stored with eligible=False
    created: int
    updated: int
    errors: list[RowError] = field(default_factory=list)  # rows skipped (only with accept_good_rows)

    def public(self) -> dict[str, Any]:
        return {"imported": self.imported, "ineligible": self.ineligible, "errors": [e.public() for e in self.errors]}


def limits() -> Limits:
    """Upload limits; the byte limit is the app's MAX_CONTENT_LENGTH."""
    if has_app_context():
        return Limits(max_bytes=int(current_app.config.get("MAX_CONTENT_LENGTH") or Limits.max_bytes))
    return Limits()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def threshold_cents(programme: Programme) -> int:
    return int(programme.threshold_usd * 100)


def _batches(rows: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[tuple[int, list[Any]]]]:
    """Lists of `size` rows."""
    while batch := list(islice(rows, size)):
        yield batch


def _open(path: Path, filename: str, programme: Programme) -> tuple[Table, Validator, CheckResult]:
    """Sniff and open the file, find its header, set up the checks. Raises FileRefused."""
    table = open_table(path, filename, limits())
    header = find_header(table.rows, export_year=programme.export_year, year=programme.year)
    districts = db.session.execute(
        select(District.id, District.name_zh, District.name_en).order_by(District.sort)
    ).all()
    validator = Validator(
        header,
        threshold_cents=threshold_cents(programme),
        districts=district_aliases((d.id, d.name_zh, d.name_en) for d in districts),
        district_names=[DataPair(d.name_zh, d.name_en) for d in districts],
    )
    return table, validator, CheckResult(header=header)


def _no_rows(result: CheckResult) -> FileRefused:
    row = result.header.row if result.header else None
    return FileRefused(_l("表头（第 %(row)s 行）下面没有数据行", row=row), row=row)


def check_file(path: Path, filename: str, programme: Programme, *, progress: Progress | None = None) -> CheckResult:
    """Read and validate every row; nothing is written. Raises FileRefused for the whole file."""
    table, validator, result = _open(path, filename, programme)
    for batch in _batches(table.rows, max(table.size_hint // 50, 500)):
        validator.feed(batch, result)
        if progress:
            progress(min(batch[-1][0] / max(table.size_hint, 1), 1.0))
    validator.finish(result)
    if result.total == 0:
        raise _no_rows(result)
    return result


def refusal_message(errors: list[RowError]) -> Any:
    rows = len({e.row for e in errors})
    return _l("%(rows)s 行有错误，整个文件未导入（全部或全不）。请改正后重新导入，或选择只导入无误的行", rows=rows)


def _recorded(
    actor: Actor,
    programme: Programme,
    roster: Roster,
    stats: writer.WriteStats,
    skipped: list[RowError],
    *,
    filename: str,
    sha256: str,
    accept_good_rows: bool,
) -> ImportOutcome:
    """The outcome of a write, recorded in the audit log."""
    outcome = ImportOutcome(
        roster_id=roster.id,
        imported=stats.eligible,
        ineligible=stats.ineligible,
        created=stats.created,
        updated=stats.updated,
        errors=skipped,
    )
    audit.record(
        actor,
        "roster.import",
        object_type="rosters",
        object_id=roster.id,
        summary=(
            f"{filename}: {outcome.imported} imported, {outcome.ineligible} ineligible,"
            f" {len({e.row for e in skipped})} rows skipped"
        ),
        changes={
            "programme": programme.year,
            "roster_seq": roster.seq,
            "file": filename,
            "sha256": sha256,
            "enterprises_created": stats.created,
            "enterprises_updated": stats.updated,
            "accept_good_rows": accept_good_rows,
            "skipped_rows": sorted({e.row for e in skipped if e.row is not None})[:1000],
        },
    )
    return outcome


@transactional
def apply_check(
    actor: Actor,
    programme: Programme,
    result: CheckResult,
    *,
    now: datetime,
    filename: str,
    sha256: str,
    accept_good_rows: bool = False,
    accepted_rows: dict[int, int] | None = None,
    job_id: int | None = None,
    progress: Progress | None = None,
    target: str | None = None,
) -> ImportOutcome:
    """Write the checked rows into the roster staff chose (`target`: a draft's id or "new"; None:
    the programme's latest draft, else a new roster), all in one transaction.

    `accepted_rows` maps row number -> user id for rows whose only problem was the check digit and
    that staff accepted after checking the business licence (web import only)."""
    ensure_role(actor, "bureau")
    accepted = {row: user for row, user in (accepted_rows or {}).items() if row in result.pending}
    remaining = result.errors_without(accepted)
    entries = result.entries + [result.pending[row] for row in accepted]
    if remaining and not accept_good_rows:
        raise ImportRefused(refusal_message(remaining), remaining)
    if not entries:
        raise ImportRefused(_l("没有可以导入的行"), remaining)
    entries.sort(key=lambda e: e.row)
    try:
        roster = target_roster(programme, target, now=now)
    except Refused as exc:
        raise ImportRefused(exc.message, remaining) from exc
    stats = writer.write(
        entries, programme_id=programme.id, roster_id=roster.id, now=now, accepted_by=accepted, progress=progress
    )
    outcome = _recorded(
        actor,
        programme,
        roster,
        stats,
        remaining,
        filename=filename,
        sha256=sha256,
        accept_good_rows=accept_good_rows,
    )
    for row in sorted(accepted):
        entry = result.pending[row]
        reason = next((e.reason for e in result.errors if e.row == row and e.code == "check_digit"), "")
        audit.record(
            actor,
            "roster.import.accept_check_digit",
            object_type="enterprises",
            object_id=entry.uscc,
            summary=f"{filename} row {row}: {entry.uscc} {entry.name}",
            changes={"row": row, "uscc": entry.uscc, "name": entry.name, "reason": str(reason), "roster_id": roster.id},
        )
    if job_id is not None:
        marked = db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.phase == "apply", ImportJob.status.in_(("queued", "running")))
            .values(
                status="done",
                progress=100,
                imported=outcome.imported,
                ineligible=outcome.ineligible,
                errors=[e.stored() for e in remaining],
                roster_id=roster.id,
                finished_at=now,
                message=None,
            )
        )
        if getattr(marked, "rowcount", 0) != 1:  # another worker wrote this job first: write nothing
            raise ImportRefused(_l("该文件已在导入或已导入"), remaining)
    return outcome


def import_file(
    actor: Actor,
    path: Path,
    programme: Programme,
    *,
    now: datetime,
    accept_good_rows: bool = False,
    progress: Progress | None = None,
) -> ImportOutcome:
    """The CLI's import. Raises FileRefused or ImportRefused (then nothing was written).

    All or nothing (the default): the file is read, checked and written in one pass and one
    transaction — each batch of good rows is written once it is checked, and the first
    problem stops the writing (the rest is still checked for the report) and rolls it all back.
    With accept_good_rows: the whole file is checked first, then the good rows are written."""
    ensure_role(actor, "bureau")
    if accept_good_rows:

        def scaled(low: float, high: float) -> Progress | None:
            return (lambda f: progress(low + (high - low) * f)) if progress else None

        result = check_file(path, path.name, programme, progress=scaled(0.0, 0.6))
        return apply_check(
            actor,
            programme,
            result,
            now=now,
            filename=path.name,
            sha256=sha256_of(path),
            accept_good_rows=True,
            progress=scaled(0.6, 1.0),
        )
    table, validator, result = _open(path, path.name, programme)  # a refused file takes no write lock
    return _check_and_write(
        actor,
        programme,
        table,
        validator,
        result,
        now=now,
        filename=path.name,
        sha256=sha256_of(path),
        progress=progress,
    )


@transactional
def _check_and_write(
    actor: Actor,
    programme: Programme,
    table: Table,
    validator: Validator,
    result: CheckResult,
    *,
    now: datetime,
    filename: str,
    sha256: str,
    progress: Progress | None,
) -> ImportOutcome:
    ensure_role(actor, "bureau")
    roster = draft_roster(programme, now=now)
    out = writer.Writer(programme_id=programme.id, roster_id=roster.id, now=now)
    for batch in _batches(table.rows, writer.CHUNK):
        start = len(result.entries)
        validator.feed(batch, result)
        if validator.clean:
            out.add(result.entries[start:])
        del result.entries[start:]  # written (or refused): not kept in memory
        if progress:
            progress(min(batch[-1][0] / max(table.size_hint, 1), 1.0))
    validator.finish(result)
    if result.total == 0:
        raise _no_rows(result)
    if result.errors:
        raise ImportRefused(refusal_message(result.errors), result.errors)
    stats = out.finish()
    return _recorded(actor, programme, roster, stats, [], filename=filename, sha256=sha256, accept_good_rows=False)
