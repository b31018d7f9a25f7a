"""Web roster import by a bureau officer: upload → check report → import; safety of uploads."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.audit.models import AuditLog
from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.roster.models import ImportJob, RosterEntry
from intranet.tasks.models import Task

from . import factories as f
from .helpers import login, soup, submit
from .sheets import row, xlsx_bytes
from .test_roster_import_rules import uscc, wrong_digit

NEW = "/staff/roster/import/"


@pytest.fixture
def officer(logged_in):
    return logged_in("bureau", "officer@bureau.test")


def upload(client, content: bytes, name: str = "roster.xlsx"):
    response = submit(client, NEW, {"file": (io.BytesIO(content), name)}, form="form[enctype]", follow_redirects=False)
    return response


def counts(page) -> dict[str, str]:
    return {dd["class"][0]: dd.get_text(strip=True) for dd in page.select(".import-counts dd")}


def test_upload_check_report_accept_check_digit_and_import_good_rows(client, officer):
    bad_digit = wrong_digit(uscc(3))
    rows = [row(1), row(2, 8_000_000.01), row(3, code=bad_digit), row(4, district="月球区"), row(5, "8,000,000")]
    response = upload(client, xlsx_bytes(rows))
    assert response.status_code == 302
    report = soup(client.get(response.headers["Location"]))
    assert report.select_one("h1").get_text(strip=True) == "检查报告"
    assert counts(report) == {"count-total": "5", "count-eligible": "2", "count-ineligible": "1", "count-errors": "2"}
    table = [
        [td.get_text(" ", strip=True) for td in tr.select("td")] for tr in report.select("table.import-errors tbody tr")
    ]
    assert [(r[0], r[1]) for r in table] == [("4", "统一社会信用代码"), ("5", "所属区")]
    assert "月球区" in table[1][3]
    # only the check-digit row can be accepted
    assert [box["value"] for box in report.select("input[name=accept]")] == ["4"]
    assert db.session.scalar(select(func.count(RosterEntry.id))) == 0  # the check wrote nothing

    job_url = response.headers["Location"]
    refused = submit(client, job_url, {"submit_all": "导入", "accept": "4"}, form="form[action$='/apply']")
    flash = soup(refused).select_one(".flash-error").get_text()
    assert "全部或全不" in flash and "all-or-nothing" not in flash  # a Chinese page: Chinese only
    assert db.session.scalar(select(func.count(RosterEntry.id))) == 0

    done = submit(client, job_url, {"submit_good": "只导入无误的行", "accept": "4"}, form="form[action$='/apply']")
    result = soup(client.get(job_url))
    assert done.status_code == 200
    assert result.select_one("h1").get_text(strip=True) == "导入完成"
    assert counts(result) == {"count-imported": "3", "count-ineligible": "1", "count-errors": "1"}
    stored = {e.uscc: e for e in db.session.scalars(select(RosterEntry))}
    assert set(stored) == {uscc(1), uscc(2), bad_digit, uscc(5)}
    assert stored[bad_digit].check_digit_accepted_by == officer.id
    assert stored[uscc(1)].check_digit_accepted_by is None
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.import.accept_check_digit"))
    assert audit.actor_user_id == officer.id and audit.object_id == bad_digit and audit.changes["row"] == 4
    # a second click on the same (stale) report cannot import twice
    token = soup(client.get(NEW)).select_one("input[name=csrf_token]")["value"]
    late = client.post(f"{job_url}/apply", data={"csrf_token": token, "submit_all": "y"}, follow_redirects=True)
    assert "已导入" in soup(late).select_one(".flash-error").get_text()
    assert db.session.scalar(select(func.count(RosterEntry.id))) == 4


def test_all_or_nothing_import_from_the_web(client, officer):
    response = upload(client, xlsx_bytes([row(1), row(2, 9_000_000)]))
    job_url = response.headers["Location"]
    page = soup(client.get(job_url))
    assert not page.select("table.import-errors")
    client.get(f"/lang/en?next={job_url}")
    assert soup(client.get(job_url)).select_one("h1").get_text(strip=True) == "Check report"
    client.get(f"/lang/zh?next={job_url}")
    submit(client, job_url, {"submit_all": "导入"}, form="form[action$='/apply']")
    result = soup(client.get(job_url))
    assert counts(result)["count-imported"] == "1"
    link = result.select_one("a.button[href='/staff/roster/']")
    assert link is not None
    assert db.session.scalar(select(func.count(Enterprise.id))) == 2


def running_job(officer, **fields) -> ImportJob:
    """A job some worker is (or was) running, as the progress page finds it."""
    job = ImportJob(
        programme_id=f.programme().id,
        created_by=officer.id,
        created_at=f.now(),
        filename="big.xlsx",
        stored_path="uploads/none.xlsx",
        sha256="0" * 64,
        status="running",
        errors=[],
        accepted_rows=[],
        **fields,
    )
    db.session.add(job)
    db.session.flush()
    moment = datetime.now(UTC)
    kind = f"roster.import.{job.phase}"
    db.session.add(Task(kind=kind, key=f"{kind}:{job.id}", payload={"job_id": job.id}, status="running",
                        attempts=1, created_at=moment, enqueued_at=moment))  # fmt: skip
    db.session.commit()
    return job


def test_progress_page_and_status_endpoint(client, officer):
    f.make_user("bureau", "other@bureau.test")
    job = running_job(officer, phase="check", progress=40)
    page = soup(client.get(f"{NEW}{job.id}"))
    bar = page.select_one("progress")
    assert bar["value"] == "40" and bar["max"] == "100"
    assert page.select_one("noscript meta[http-equiv=refresh]") is not None
    assert page.select_one("script[src$='roster_import.js']") is not None
    status = client.get(f"{NEW}{job.id}/status").get_json()
    assert status == {"status": "running", "phase": "check", "progress": 40, "done": False, "url": f"{NEW}{job.id}"}


def test_a_job_runs_on_while_its_task_is_retried_and_fails_only_when_the_task_gives_up(client, officer):
    job = running_job(officer, phase="apply", progress=30, heartbeat_at=f.now())
    task = db.session.scalar(select(Task).where(Task.key == f"roster.import.apply:{job.id}"))
    assert client.get(f"{NEW}{job.id}/status").get_json()["done"] is False
    task.status = "queued"  # its worker died; the task waits for another worker
    db.session.commit()
    assert client.get(f"{NEW}{job.id}/status").get_json()["done"] is False
    task.status = "failed"  # it gave up after its last attempt
    db.session.commit()
    status = client.get(f"{NEW}{job.id}/status").get_json()
    assert (status["status"], status["done"]) == ("failed", True)
    assert "导入被中断" in soup(client.get(f"{NEW}{job.id}")).get_text()

def test_error_report_downloads_neutralise_formulas(client, officer):
    rows = [row(1, district='=HYPERLINK("http://evil")'), row(2, "+1+2"), row(3, code="@SUM(A1)")]
    response = upload(client, xlsx_bytes(rows))
    job_url = response.headers["Location"]
    as_csv = client.get(f"{job_url}/errors.csv")
    assert as_csv.status_code == 200 and "attachment" in as_csv.headers["Content-Disposition"]
    records = list(csv.reader(io.StringIO(as_csv.get_data().decode("utf-8-sig"))))
    assert records[0] == ["行", "列", "内容", "错误原因"]  # the report page's language
    values = {r[0]: r[2] for r in records[1:]}
    assert values["2"] == '\'=HYPERLINK("http://evil")'
    assert values["3"] == "'+1+2"
    assert values["4"] == "'@SUM(A1)"
    as_xlsx = client.get(f"{job_url}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.get_data())).active
    cells = [c for r in sheet.iter_rows(min_row=2, values_only=True) for c in r if isinstance(c, str)]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)


def zip_bomb() -> bytes:
    """A workbook-looking zip whose sheet inflates 1000:1 (30 MB of zeros in ~30 KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(30):
                member.write(block)
    return buffer.getvalue()


def test_zip_bombs_and_non_spreadsheets_are_refused_fast(client, officer):
    cases = {
        "bomb.xlsx": (zip_bomb(), "压缩炸弹"),
        "photo.xlsx": (b"\x89PNG\r\n\x1a\n" + b"\0" * 2000, "不是 Excel"),
        "tool.csv": (b"MZ\x90\x00\x03\x00\x00\x00" * 100, "不是文本表格"),
        "old.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, ".xls"),
        "roster.pdf": (b"%PDF-1.7 ...", ".xlsx 或 .csv"),
        "renamed.csv": (xlsx_bytes([row(1)]), "压缩文件"),
    }
    for name, (content, expected) in cases.items():
        started = time.perf_counter()
        response = upload(client, content, name)
        assert time.perf_counter() - started < 2, name
        assert response.status_code == 422, name
        error = soup(response).select_one("#file-error").get_text()
        assert expected in error, (name, error)
    assert db.session.scalar(select(func.count(ImportJob.id))) == 0


def test_upload_above_the_size_limit_is_refused_with_a_message(app, client, officer):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = upload(client, b"a,b\n" * 40_000, "big.csv")
    assert response.status_code == 413
    assert "文件过大" in soup(response).select_one("#file-error").get_text()


def test_only_bureau_staff_may_import(client):
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    login(client, "clerk@sinosure.test", f.PASSWORD)
    assert client.get(NEW).status_code == 403


def test_staff_home_links_to_the_import(client, officer):
    page = soup(client.get("/staff"))
    assert page.select_one(f"a.card[href='{NEW}']") is not None


@pytest.mark.browser
def test_officer_uploads_sees_the_report_and_imports(page, app, tmp_path):
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx_bytes([row(1), row(2), row(3, code=wrong_digit(uscc(3)))]))
    page.goto("/login")
    page.fill("#identifier", "officer@bureau.test")
    page.fill("#password", f.PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.goto(NEW)
    page.set_input_files("#file", str(path))
    page.click("#submit")
    page.wait_for_selector("h1:has-text('检查报告')")
    assert page.inner_text(".count-errors") == "1"
    page.check("input[name=accept][value='4']")
    page.click("#submit_all")
    page.wait_for_selector("h1:has-text('导入完成')")
    assert page.inner_text(".count-imported") == "3"
    db.session.commit()
    assert db.session.scalar(select(func.count(RosterEntry.id))) == 3


def test_the_upload_lives_in_the_database_not_on_this_hosts_disk(client, officer, app):
    from pathlib import Path

    from intranet.storage.models import StoredFile

    content = xlsx_bytes([row(1), row(2)])
    response = upload(client, content, "名单.xlsx")
    job = db.session.get(ImportJob, int(response.headers["Location"].rsplit("/", 1)[1]))
    stored = db.session.get(StoredFile, job.file_id)
    assert (stored.kind, stored.filename, stored.data) == ("roster_upload", "名单.xlsx", content)
    assert job.stored_path is None
    assert not any(p.is_file() for p in Path(app.instance_path).rglob("*.xlsx"))
    assert job.status == "checked" and job.good_rows == 2  # the worker read it from there


def test_0011_moves_an_upload_left_on_disk_into_the_database(app, officer):
    from pathlib import Path

    import flask_migrate
    from sqlalchemy import text

    from intranet.extensions import ensure_migrate
    from intranet.storage.models import StoredFile

    content = xlsx_bytes([row(1)])
    programme_id, officer_id = f.programme().id, officer.id
    db.session.commit()
    ensure_migrate(app)
    db.session.remove()
    flask_migrate.downgrade(revision="0010")
    folder = Path(app.instance_path, "uploads")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abc.xlsx").write_bytes(content)
    with db.engine.begin() as conn:
        for path in ("uploads/abc.xlsx", "uploads/gone.xlsx"):
            conn.execute(
                text(
                    "INSERT INTO import_jobs (programme_id, created_by, created_at, filename, stored_path, sha256,"
                    " status, phase, progress, total_rows, good_rows, imported, ineligible, errors,"
                    " accept_good_rows, accepted_rows) VALUES (:p, :u, :at, '名单.xlsx', :path, :h, 'checked',"
                    " 'check', 100, 1, 1, 0, 0, '[]', false, '[]')"
                ),
                {"p": programme_id, "u": officer_id, "at": datetime.now(UTC), "path": path, "h": "0" * 64},
            )
    db.session.remove()
    flask_migrate.upgrade()
    moved, gone = db.session.scalars(select(ImportJob).order_by(ImportJob.id)).all()
    assert moved.stored_path is None and db.session.get(StoredFile, moved.file_id).data == content
    assert (gone.file_id, gone.stored_path) == (None, "uploads/gone.xlsx")  # left as it was, not a crash
