"""Uploaded documents: checked by size and by their bytes (not just the name), kept in the database
(any host serves them; none is written to a disk), served only to the owner and insurer staff as
attachments."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import select

from intranet.errors import Invalid
from intranet.extensions import db
from intranet.losses import attachments
from intranet.losses.models import LossAttachment, LossReport
from intranet.storage.models import StoredFile

from . import factories as f
from .helpers import login, soup
from .test_losses_web import NOW, confirm, preview

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 200


def xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    book.add_worksheet().write(0, 0, "invoice")
    book.close()
    return buf.getvalue()


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("_rels/.rels", "<Relationships/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def bare_app(tmp_path):
    """attachments.check reads its limits from the app config; no database needed."""
    from flask import Flask
    from flask_babel import Babel

    application = Flask(__name__, instance_path=str(tmp_path))
    Babel(application)  # the refusals are lazy messages, worded when read
    with application.app_context():
        yield application


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("提单.pdf", PDF, "application/pdf"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("scan.jpeg", JPEG, "image/jpeg"),
        ("chart.png", PNG, "image/png"),
        ("ledger.xlsx", None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("letter.docx", None, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_accepted_types_are_recognised_by_their_bytes(bare_app, name, data, mime):
    data = data or (xlsx_bytes() if name.endswith("xlsx") else docx_bytes())
    upload = attachments.check(name, data)
    assert upload.content_type == mime and upload.filename == name


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("invoice.pdf", EXE, "file_content"),  # an executable renamed
        ("invoice.pdf", PNG, "file_content"),  # an image renamed
        ("ledger.xlsx", docx_bytes(), "file_content"),  # a Word file renamed
        ("page.html", b"<script>alert(1)</script>", "file_type"),
        ("tool.exe", EXE, "file_type"),
        ("noextension", PDF, "file_type"),
        ("empty.pdf", b"", "file_empty"),
    ],
)
def test_refused_files_say_why(bare_app, name, data, code):
    with pytest.raises(Invalid) as refused:
        attachments.check(name, data)
    assert refused.value.code == code
    assert name in str(refused.value.message) or code == "file_type"


def test_size_limit_is_enforced(bare_app):
    bare_app.config["TONGBAO_MAX_ATTACHMENT_BYTES"] = 1024
    attachments.check("ok.pdf", PDF + b" " * (1024 - len(PDF)))
    with pytest.raises(Invalid) as refused:
        attachments.check("big.pdf", PDF + b" " * 1024)
    assert refused.value.code == "file_too_large"


def test_filenames_lose_directories_and_control_characters():
    assert attachments.clean_filename("../../etc/passwd.pdf") == "passwd.pdf"
    assert attachments.clean_filename("C:\\Users\\x\\发票\x00.pdf") == "发票.pdf"
    assert attachments.clean_filename("...") == "file"


def test_upload_through_the_form_is_stored_in_the_database_and_served_as_attachment(client, freeze, app):
    freeze(NOW)
    _e, user, policy = f.loss_policy_holder(1)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    confirm(client, soup(preview(client, policy)), files=[(io.BytesIO(PDF), "提单.pdf"), (io.BytesIO(PNG), "a.png")])
    rows = db.session.scalars(select(LossAttachment).order_by(LossAttachment.id)).all()
    assert [r.filename for r in rows] == ["提单.pdf", "a.png"]
    stored = [db.session.get(StoredFile, r.file_id) for r in rows]
    assert [(s.kind, s.data, s.sha256) for s in stored] == [
        ("loss_attachment", PDF, hashlib.sha256(PDF).hexdigest()),
        ("loss_attachment", PNG, hashlib.sha256(PNG).hexdigest()),
    ]
    assert rows[0].sha256 == hashlib.sha256(PDF).hexdigest() and rows[0].storage_path is None
    assert not Path(app.instance_path, "attachments").exists()  # nothing on this host's disk

    link = f"/portal/losses/{rows[0].report_id}/attachments/{rows[0].id}"
    response = client.get(link)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''%E6%8F%90%E5%8D%95.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    staff = app.test_client()
    login(staff, "clerk@sinosure.test", f.PASSWORD)
    assert staff.get(f"/staff/losses/{rows[0].report_id}/attachments/{rows[0].id}").data == PDF
    assert staff.get(f"/staff/losses/{rows[0].report_id}/attachments/{rows[1].id + 5}").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 302  # to the login page


def test_disguised_or_oversized_upload_keeps_the_user_on_the_confirm_step(client, freeze, app):
    freeze(NOW)
    app.config["TONGBAO_MAX_ATTACHMENT_BYTES"] = 2048
    _e, user, policy = f.loss_policy_holder(2)
    db.session.commit()
    login(client, user.email, f.PASSWORD)
    step2 = soup(preview(client, policy))
    refused = confirm(client, step2, files=[(io.BytesIO(EXE), "invoice.pdf")])
    assert refused.status_code == 422
    page = soup(refused)
    assert page.select_one("#attachments")["aria-invalid"] == "true"
    assert "不是 PDF 文件" in page.select_one("#attachments-error").get_text()
    big = soup(confirm(client, page, files=[(io.BytesIO(PDF + b" " * 4096), "big.pdf")]))
    assert "超过" in big.select_one("#attachments-error").get_text()
    assert db.session.scalar(select(LossReport.id)) is None
    assert db.session.scalar(select(StoredFile.id)) is None
