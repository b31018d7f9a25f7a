"""stored files: loss attachments and credit-report PDFs move from one host's disk into the database

`stored_files` holds the bytes (PostgreSQL `bytea`, SQLite blob). `loss_attachments.file_id` and
`credit_report_requests.report_file_id` point at them. Every file named by a row is read from the
instance folder (`instance/attachments/<path>`: the Flask app's instance path when Flask-Migrate
runs this, else `TONGBAO_INSTANCE_PATH`, else `<repo>/instance`), inserted, and the row's path is
cleared. A file that is not there (say, still on another host's disk) is logged and its row keeps
its path: the old path columns stay, nullable, so nothing is forgotten; the application never
reads them. The files on disk are left in place (remove `instance/attachments` once satisfied).

The downgrade writes every stored attachment and report back under the instance folder (new random
names), sets the paths again and drops the new columns and the table (files of other kinds, such as
exports, are dropped with it).

SQLite copies both tables (batch mode, foreign keys off: see migrations/env.py) and checks every
reference at the end, as 0007 does.

Revision ID: 0009
Revises: 0008
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

revision = "0009"
down_revision = "0008"
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
attachments = sa.table(
    "loss_attachments",
    sa.column("id", sa.Integer),
    sa.column("report_id", sa.Integer),
    sa.column("filename", sa.String),
    sa.column("content_type", sa.String),
    sa.column("storage_path", sa.String),
    sa.column("uploaded_at", sa.DateTime(timezone=True)),
    sa.column("file_id", sa.Integer),
)
requests = sa.table(
    "credit_report_requests",
    sa.column("id", sa.Integer),
    sa.column("report_filename", sa.String),
    sa.column("report_path", sa.String),
    sa.column("answered_at", sa.DateTime(timezone=True)),
    sa.column("report_file_id", sa.Integer),
)


def instance_path() -> Path:
    try:
        from flask import current_app

        return Path(current_app.instance_path)
    except RuntimeError:  # not run by Flask-Migrate (no app context)
        default = Path(__file__).resolve().parents[2] / "instance"
        return Path(os.environ.get("TONGBAO_INSTANCE_PATH", str(default)))


def attachments_root() -> Path:
    return instance_path() / "attachments"


def read_file(relative: str) -> bytes | None:
    """The bytes of a file stored before 0009, or None when it is missing or outside the folder."""
    base = attachments_root().resolve()
    target = (base / relative).resolve()
    if base not in target.parents or not target.is_file():
        return None
    return target.read_bytes()


def insert_file(kind: str, filename: str, content_type: str, data: bytes, created_at: datetime | None) -> int:
    values = {
        "kind": kind,
        "filename": filename[:255],
        "content_type": content_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data,
        "created_at": created_at or datetime.now(UTC),
    }
    return int(op.get_bind().execute(stored_files.insert().values(**values).returning(stored_files.c.id)).scalar_one())


def move_in() -> tuple[int, int]:
    bind = op.get_bind()
    moved = missing = 0
    rows = bind.execute(
        sa.select(attachments.c.id, attachments.c.filename, attachments.c.content_type, attachments.c.storage_path,
                  attachments.c.uploaded_at)  # fmt: skip
        .where(attachments.c.storage_path.is_not(None), attachments.c.storage_path != "")
        .order_by(attachments.c.id)
    ).all()
    for row_id, filename, content_type, path, uploaded_at in rows:
        data = read_file(path)
        if data is None:
            log.warning("0009: loss attachment %s: file %s not found under %s; left as it was",
                        row_id, path, attachments_root())  # fmt: skip
            missing += 1
            continue
        file_id = insert_file("loss_attachment", filename, content_type, data, uploaded_at)
        bind.execute(attachments.update().where(attachments.c.id == row_id).values(file_id=file_id, storage_path=None))
        moved += 1
    rows = bind.execute(
        sa.select(requests.c.id, requests.c.report_filename, requests.c.report_path, requests.c.answered_at)
        .where(requests.c.report_path.is_not(None), requests.c.report_path != "")
        .order_by(requests.c.id)
    ).all()
    for row_id, filename, path, answered_at in rows:
        data = read_file(path)
        if data is None:
            log.warning("0009: credit report %s: file %s not found under %s; left as it was",
                        row_id, path, attachments_root())  # fmt: skip
            missing += 1
            continue
        name = filename or f"credit-report-{row_id}.pdf"
        file_id = insert_file("credit_report", name, "application/pdf", data, answered_at)
        bind.execute(requests.update().where(requests.c.id == row_id).values(report_file_id=file_id, report_path=None))
        moved += 1
    log.info("0009: %s file(s) moved into the database, %s not found", moved, missing)
    return moved, missing


def write_out(folder: str, data: bytes) -> str:
    directory = attachments_root() / folder
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, directory / name)
    return f"{folder}/{name}"


def move_out() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(attachments.c.id, attachments.c.report_id, stored_files.c.data)
        .join(stored_files, stored_files.c.id == attachments.c.file_id)
        .order_by(attachments.c.id)
    ).all()
    for row_id, report_id, data in rows:
        path = write_out(f"losses/{report_id}", data)
        bind.execute(attachments.update().where(attachments.c.id == row_id).values(storage_path=path))
    bind.execute(attachments.update().where(attachments.c.storage_path.is_(None)).values(storage_path=""))
    rows = bind.execute(
        sa.select(requests.c.id, stored_files.c.data)
        .join(stored_files, stored_files.c.id == requests.c.report_file_id)
        .order_by(requests.c.id)
    ).all()
    for row_id, data in rows:
        path = write_out(f"credit_reports/{row_id}", data)
        bind.execute(requests.update().where(requests.c.id == row_id).values(report_path=path))


def check_references() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"broken references after copying tables (table, rowid, parent, fk): {broken[:10]}")


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
    )
    op.create_index(op.f("ix_stored_files_kind"), "stored_files", ["kind"])
    with op.batch_alter_table("loss_attachments") as batch:
        batch.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
        batch.alter_column("storage_path", existing_type=sa.String(500), nullable=True)
        batch.create_foreign_key(op.f("fk_loss_attachments_file_id_stored_files"), "stored_files", ["file_id"], ["id"])
        batch.create_index(op.f("ix_loss_attachments_file_id"), ["file_id"])
    with op.batch_alter_table("credit_report_requests") as batch:
        batch.add_column(sa.Column("report_file_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_credit_report_requests_report_file_id_stored_files"), "stored_files", ["report_file_id"], ["id"]
        )
        batch.create_index(op.f("ix_credit_report_requests_report_file_id"), ["report_file_id"])
    move_in()
    check_references()


def downgrade() -> None:
    move_out()
    with op.batch_alter_table("credit_report_requests") as batch:
        batch.drop_index(op.f("ix_credit_report_requests_report_file_id"))
        batch.drop_constraint(op.f("fk_credit_report_requests_report_file_id_stored_files"), type_="foreignkey")
        batch.drop_column("report_file_id")
    with op.batch_alter_table("loss_attachments") as batch:
        batch.drop_index(op.f("ix_loss_attachments_file_id"))
        batch.drop_constraint(op.f("fk_loss_attachments_file_id_stored_files"), type_="foreignkey")
        batch.drop_column("file_id")
        batch.alter_column("storage_path", existing_type=sa.String(500), nullable=False)
    op.drop_index(op.f("ix_stored_files_kind"), table_name="stored_files")
    op.drop_table("stored_files")
    check_references()
