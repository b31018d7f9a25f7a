"""Files every host can read: bytes kept in the database (PostgreSQL bytea, SQLite blob) with a size
limit per kind, and migration 0009, which moves the files of earlier versions off the disk."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import inspect, select, text

from intranet.credit_reports.models import CreditReportRequest
from intranet.errors import NotFound
from intranet.extensions import db
from intranet.losses.models import LossAttachment
from intranet.storage import service as storage
from intranet.storage.models import StoredFile

from . import factories as f
from .helpers import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EVERY_BYTE = bytes(range(256)) * 4096  # 1 MB with NUL and every other byte value


def test_put_get_and_delete_keep_the_bytes_exactly(app):
    file_id = storage.put("loss_attachment", "台账.xlsx", "application/octet-stream", EVERY_BYTE).id
    db.session.commit()
    db.session.expunge_all()  # read back from the database, not from the session

    found = storage.get(file_id)
    assert found.data == EVERY_BYTE
    assert (found.kind, found.filename, found.size) == ("loss_attachment", "台账.xlsx", len(EVERY_BYTE))
    assert found.sha256 == hashlib.sha256(EVERY_BYTE).hexdigest()

    assert storage.delete(file_id) is True
    db.session.commit()
    with pytest.raises(NotFound):
        storage.get(file_id)
    assert storage.delete(file_id) is False


def test_a_file_over_its_kinds_limit_is_refused_with_a_clear_error(app):
    app.config["TONGBAO_MAX_ATTACHMENT_BYTES"] = 1024
    storage.put("credit_report", "ok.pdf", "application/pdf", b"x" * 1024)
    with pytest.raises(storage.TooLarge) as refused:
        storage.put("credit_report", "大报告.pdf", "application/pdf", b"x" * 1025)
    assert refused.value.code == "file_too_large" and refused.value.status == 422
    assert str(refused.value.message).startswith("文件 大报告.pdf 超过 ")
    app.config["TONGBAO_MAX_ATTACHMENT_BYTES"] = 2 * 1024 * 1024
    with pytest.raises(storage.TooLarge) as refused:
        storage.put("loss_attachment", "scan.pdf", "application/pdf", b"x" * (2 * 1024 * 1024 + 1))
    assert str(refused.value.message) == "文件 scan.pdf 超过 2 MB"
    with force_locale("en"):
        assert str(refused.value.message) == "scan.pdf is larger than 2 MB"
    # a roster spreadsheet may be as large as any upload the app accepts (32 MB)
    assert storage.limit("roster_upload") == app.config["MAX_CONTENT_LENGTH"] == 32 * 1024 * 1024
    db.session.rollback()


def test_purge_removes_only_old_files_of_one_kind(app):
    moment = datetime(2024, 6, 1, tzinfo=UTC)
    old = storage.put("export", "old.csv", "text/csv", b"a", now=moment - timedelta(days=2))
    new = storage.put("export", "new.csv", "text/csv", b"b", now=moment)
    kept = storage.put("loss_attachment", "a.pdf", "application/pdf", PDF, now=moment - timedelta(days=9))
    assert storage.purge("export", timedelta(days=1), now=moment) == 1
    db.session.commit()
    assert set(db.session.scalars(select(StoredFile.id))) == {new.id, kept.id} and old.id not in {new.id, kept.id}


# --- migration 0009 ------------------------------------------------------------------------------


def _migrate(app, revision: str | None) -> None:  # type: ignore[no-untyped-def]
    import flask_migrate

    from intranet.extensions import ensure_migrate

    ensure_migrate(app)
    db.session.remove()
    if revision is None:
        flask_migrate.upgrade()
    else:
        flask_migrate.downgrade(revision=revision)
    db.session.remove()


def test_0009_moves_the_files_on_disk_into_the_database_and_back(app, client, capsys):
    _e, user, policy = f.loss_policy_holder(1)
    report = f.make_loss(policy)
    request = f.make_credit_request(policy.enterprise, "DE")
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    report_id, request_id, email = report.id, request.id, user.email
    root = Path(app.instance_path, "attachments")

    _migrate(app, "0008")  # the schema of the version before: paths, no stored_files
    assert "stored_files" not in inspect(db.engine).get_table_names()
    (root / f"losses/{report_id}").mkdir(parents=True)
    (root / f"losses/{report_id}/3f9a").write_bytes(PDF)
    (root / f"credit_reports/{request_id}").mkdir(parents=True)
    (root / f"credit_reports/{request_id}/77c1").write_bytes(PDF + b"report")
    at = datetime(2024, 7, 2, 1, 0, tzinfo=UTC)
    with db.engine.begin() as conn:
        for name, path in [("提单.pdf", f"losses/{report_id}/3f9a"), ("lost.pdf", f"losses/{report_id}/gone")]:
            conn.execute(
                text(
                    "INSERT INTO loss_attachments (report_id, filename, content_type, size, sha256, storage_path,"
                    " uploaded_at) VALUES (:r, :n, 'application/pdf', :s, :h, :p, :at)"
                ),
                {"r": report_id, "n": name, "s": len(PDF), "h": hashlib.sha256(PDF).hexdigest(), "p": path, "at": at},
            )
        conn.execute(
            text(
                "UPDATE credit_report_requests SET status = 'delivered', report_filename = 'Globex.pdf',"
                " report_path = :p, answered_at = :at WHERE id = :id"
            ),
            {"p": f"credit_reports/{request_id}/77c1", "at": at, "id": request_id},
        )

    capsys.readouterr()
    _migrate(app, None)
    said = capsys.readouterr().err  # alembic logs to stderr (alembic.ini), as `tongbao db upgrade` shows it

    moved, lost = db.session.scalars(select(LossAttachment).order_by(LossAttachment.id)).all()
    assert moved.storage_path is None and db.session.get(StoredFile, moved.file_id).data == PDF
    assert (lost.file_id, lost.storage_path) == (None, f"losses/{report_id}/gone")  # left, not a crash
    assert f"loss attachment {lost.id}: file losses/{report_id}/gone not found" in said
    assert "0009: 2 file(s) moved into the database, 1 not found" in said
    delivered = db.session.get(CreditReportRequest, request_id)
    stored = db.session.get(StoredFile, delivered.report_file_id)
    assert (stored.kind, stored.filename, stored.data) == ("credit_report", "Globex.pdf", PDF + b"report")

    # served from the database, with the same checks as before
    (root / f"losses/{report_id}/3f9a").unlink()
    (root / f"credit_reports/{request_id}/77c1").unlink()
    staff = app.test_client()
    login(staff, "clerk@sinosure.test", f.PASSWORD)
    assert staff.get(f"/staff/losses/{report_id}/attachments/{moved.id}").data == PDF
    assert staff.get(f"/staff/losses/{report_id}/attachments/{lost.id}").status_code == 404
    login(client, email, f.PASSWORD)
    assert client.get(f"/portal/credit-reports/{request_id}/report.pdf").data == PDF + b"report"

    _migrate(app, "0008")  # down again: the files are written back and the rows name them
    with db.engine.connect() as conn:
        paths = dict(conn.execute(text("SELECT filename, storage_path FROM loss_attachments")).all())
        report_path = conn.execute(text("SELECT report_path FROM credit_report_requests")).scalar_one()
    assert (root / paths["提单.pdf"]).read_bytes() == PDF and paths["lost.pdf"] == f"losses/{report_id}/gone"
    assert (root / report_path).read_bytes() == PDF + b"report"
    _migrate(app, None)
    assert len(db.session.scalars(select(StoredFile)).all()) == 2
