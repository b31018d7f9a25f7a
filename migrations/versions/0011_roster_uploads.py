"""roster uploads: the web import's spreadsheet moves from one host's disk into stored_files

`import_jobs.file_id` points at the stored upload; every job's file still under the instance
folder (`instance/<stored_path>`, e.g. `uploads/<token>.xlsx`) is read in and its path cleared. A
file that is not there is logged and the job keeps its path (such a job cannot be applied any more,
as before when its file was gone). The downgrade writes the stored uploads back.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

stored_files = sa.table(
    "stored_files",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("filename", sa.String),
    sa.column("content_type", sa.String),
    sa.column("size", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("data", sa.LargeBinary),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
jobs = sa.table(
    "import_jobs",
    sa.column("id", sa.Integer),
    sa.column("filename", sa.String),
    sa.column("stored_path", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("file_id", sa.Integer),
)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


def instance_path() -> Path:
    try:
        from flask import current_app

        return Path(current_app.instance_path)
    except RuntimeError:  # not run by Flask-Migrate (no app context)
        default = Path(__file__).resolve().parents[2] / "instance"
        return Path(os.environ.get("TONGBAO_INSTANCE_PATH", str(default)))


def upgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_import_jobs_file_id_stored_files"), "stored_files", ["file_id"], ["id"])
        batch.alter_column("stored_path", existing_type=sa.String(500), nullable=True)
    bind = op.get_bind()
    base = instance_path().resolve()
    rows = bind.execute(sa.select(jobs.c.id, jobs.c.filename, jobs.c.stored_path, jobs.c.created_at)).all()
    moved = missing = 0
    for job_id, filename, path, created_at in rows:
        target = (base / (path or "")).resolve()
        if not path or base not in target.parents or not target.is_file():
            log.warning("0011: import job %s: file %s not found under %s; left as it was", job_id, path, base)
            missing += 1
            continue
        data = target.read_bytes()
        kind = target.suffix.lstrip(".").lower()
        file_id = bind.execute(
            stored_files.insert()
            .values(kind="roster_upload", filename=(filename or target.name)[:255],
                    content_type=CONTENT_TYPES.get(kind, "application/octet-stream"), size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), data=data,
                    created_at=created_at or datetime.now(UTC))  # fmt: skip
            .returning(stored_files.c.id)
        ).scalar_one()
        bind.execute(jobs.update().where(jobs.c.id == job_id).values(file_id=file_id, stored_path=None))
        moved += 1
    log.info("0011: %s roster upload(s) moved into the database, %s not found", moved, missing)


def downgrade() -> None:
    bind = op.get_bind()
    folder = instance_path() / "uploads"
    rows = bind.execute(
        sa.select(jobs.c.id, jobs.c.filename, stored_files.c.id, stored_files.c.data).join(
            stored_files, stored_files.c.id == jobs.c.file_id
        )
    ).all()
    for job_id, filename, file_id, data in rows:
        folder.mkdir(parents=True, exist_ok=True)
        suffix = Path(filename or "").suffix.lower() or ".xlsx"
        name = f"{secrets.token_hex(16)}{suffix}"
        (folder / name).write_bytes(data)
        bind.execute(jobs.update().where(jobs.c.id == job_id).values(stored_path=f"uploads/{name}", file_id=None))
        bind.execute(stored_files.delete().where(stored_files.c.id == file_id))
    bind.execute(jobs.update().where(jobs.c.stored_path.is_(None)).values(stored_path=""))
    with op.batch_alter_table("import_jobs") as batch:
        batch.alter_column("stored_path", existing_type=sa.String(500), nullable=False)
        batch.drop_constraint(op.f("fk_import_jobs_file_id_stored_files"), type_="foreignkey")
        batch.drop_column("file_id")
