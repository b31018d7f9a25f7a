"""Exports: .xlsx and .csv of rosters, policies and losses — formula-safe, numbers numeric, audited."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, insert, select

from intranet.audit.models import AuditLog
from intranet.clock import now
from intranet.enterprises.models import Enterprise
from intranet.exports import jobs, service
from intranet.extensions import db
from intranet.roster.models import RosterEntry
from intranet.storage.models import StoredFile
from intranet.tasks.models import Task

from . import factories as f
from .helpers import login, soup, submit, text_of

HOSTILE = ['=HYPERLINK("http://x","y")', "+86 cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("深圳=市", "深圳=市"),
        ("", ""),
        (Decimal("-5.00"), Decimal("-5.00")),
        (7, 7),
        (None, None),
    ],
)
def test_neutralise_quotes_formula_text_and_leaves_numbers_alone(value, expected):
    assert service.neutralise(value) == expected


def _export(client, kind: str, fmt: str, year: int = 2024):  # type: ignore[no-untyped-def]
    """Click the export's button: its task runs (inline in tests), the redirect leads to the task's
    page, which says it is done and offers the file; returns the file's response."""
    page = submit(client, f"/staff/exports/?programme={year}", form=f"tr[data-kind={kind}] form.export-{fmt}")
    assert page.request.path.startswith("/staff/exports/tasks/"), page.request.path
    link = soup(page).select_one(".export-progress a.download")
    assert link is not None, text_of(page)
    response = client.get(link["href"])
    assert response.headers["Cache-Control"] == "private, no-store"
    return response


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return book.active


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Chinese correctly
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _hostile_roster() -> None:
    roster = f.make_roster(f.programme(), status="confirmed", notice_start=date(2024, 5, 20))
    for n, name in enumerate(HOSTILE, start=1):
        enterprise = f.make_enterprise(n, name=name)
        enterprise.contact_name = "=1+1"
        f.add_entry(roster, enterprise, amount=f"{n * 1000000}.50")


def test_roster_export_neutralises_formulas_in_xlsx_and_csv_and_keeps_amounts_numeric(client, freeze, logged_in):
    freeze("2024-06-20T10:00:00+08:00")
    _hostile_roster()
    logged_in("bureau")
    sheet = _sheet(_export(client, "roster", "xlsx"))
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["统一社会信用代码", "企业名称", "所属区", "出口额（美元）"]
    rows = list(sheet.iter_rows(min_row=2))
    # (XlsxWriter stores CR as the OOXML escape _x000D_, which Excel decodes; openpyxl does not)
    assert [r[1].value.replace("_x000D_", "\r") for r in rows] == ["'" + name for name in HOSTILE]
    assert all(r[1].data_type == "s" for r in rows)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert [r[3].value for r in rows] == [n * 1000000 + 0.5 for n in range(1, 7)]
    assert all(r[3].data_type == "n" for r in rows)
    assert rows[0][8].value == "'=1+1" and rows[0][5].value == "在册" and rows[0][7].value == "已确认"

    table = _csv(_export(client, "roster", "csv"))
    assert table[0][1] == "企业名称"
    assert [r[1] for r in table[1:]] == ["'" + name for name in HOSTILE]
    assert [r[3] for r in table[1:]] == [f"{n * 1000000}.50" for n in range(1, 7)]
    assert {r[8] for r in table[1:]} == {"'=1+1"}

    audit = list(db.session.scalars(select(AuditLog).where(AuditLog.action == "export.roster").order_by(AuditLog.id)))
    assert [a.changes["format"] for a in audit] == ["xlsx", "csv"]
    assert all(a.changes["rows"] == 6 and a.actor_label == "bureau@staff.test" for a in audit)


def test_policy_and_loss_exports_keep_dates_and_money_typed(client, freeze, logged_in):
    freeze("2024-07-20T12:00:00+08:00")
    p = f.programme()
    enterprise = f.make_enterprise(1, name="@深圳市测试公司")
    policy = f.make_policy(
        enterprise,
        p,
        status="issued",
        claimed_at=datetime.fromisoformat("2024-06-01T09:30:00+08:00"),
        policy_no="SZ2024-000001",
        issue_date=date(2024, 6, 3),
        cover_start=date(2024, 7, 1),
        cover_end=date(2025, 6, 30),
    )
    f.make_loss(policy, buyer="-1+1 Trading", country="US", amount="230000", status="paid", paid="150000")
    db.session.commit()
    logged_in("insurer")

    sheet = _sheet(_export(client, "policies", "xlsx"))
    row = [c for c in sheet[2]]
    assert row[0].value == "SZ2024-000001" and row[2].value == "'@深圳市测试公司" and row[4].value == "已签发"
    assert row[5].is_date and row[5].value == datetime(2024, 6, 1, 9, 30)  # Shanghai wall time
    assert row[8].is_date and row[8].value == datetime(2024, 7, 1)

    sheet = _sheet(_export(client, "losses", "xlsx"))
    row = [c.value for c in sheet[2]]
    assert row[4] == "'-1+1 Trading" and row[6] == "买方拖欠货款" and row[7] == "已赔付"
    assert row[8] == 230000 and row[11] == 150000 and sheet.cell(2, 12).data_type == "n"
    table = _csv(_export(client, "losses", "csv"))
    assert table[1][4] == "'-1+1 Trading" and table[1][8] == "230000.00" and table[1][12] == "2024-07-20 12:00"


def test_csv_export_streams_in_chunks(app):
    roster = f.make_roster(f.programme(), status="confirmed")
    stamp = now()
    db.session.execute(
        insert(Enterprise),
        [
            {"uscc": f.make_uscc(n), "name": f"深圳市批量{n}号贸易有限公司", "created_at": stamp, "updated_at": stamp}
            for n in range(1, 3001)
        ],
    )
    ids = db.session.execute(select(Enterprise.id, Enterprise.uscc, Enterprise.name)).all()
    db.session.execute(
        insert(RosterEntry),
        [
            {
                "roster_id": roster.id,
                "programme_id": roster.programme_id,
                "enterprise_id": i,
                "name": name,
                "uscc": uscc,
                "export_amount_usd": Decimal("12345.67"),
                "eligible": True,
                "status": "listed",
                "created_at": stamp,
                "updated_at": stamp,
            }
            for i, uscc, name in ids
        ],
    )
    db.session.commit()
    chunks = list(service.csv_chunks(service.dataset("roster", f.programme())))
    assert len(chunks) >= 3  # ~64 K characters at a time, never the whole file in one piece
    assert all(len(c.decode("utf-8")) < 2 * service.CHUNK for c in chunks)
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 3001 and rows[-1][3] == "12345.67"


def test_only_staff_export_only_the_asker_downloads_and_unknown_exports_are_404(app):
    enterprise = f.make_enterprise(1)
    f.make_user("enterprise", "boss@exporter.test", enterprise=enterprise)
    f.make_user("insurer", "clerk@sinosure.test")
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    company, staff, colleague = app.test_client(), app.test_client(), app.test_client()
    login(company, enterprise.uscc, f.PASSWORD)
    login(staff, "clerk@sinosure.test", f.PASSWORD)
    login(colleague, "officer@bureau.test", f.PASSWORD)
    assert company.get("/staff/exports/").status_code == 403
    assert company.post("/staff/exports/roster.csv").status_code in (400, 403)  # no token, no role
    assert staff.get("/staff/exports/").status_code == 200
    token = soup(staff.get("/staff/exports/")).select_one("input[name=csrf_token]")["value"]
    assert staff.post("/staff/exports/secrets.csv", data={"csrf_token": token}).status_code == 404
    assert staff.post("/staff/exports/roster.pdf", data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action.startswith("export."))) is None

    done = submit(staff, "/staff/exports/", form="tr[data-kind=policies] form.export-csv")
    task_page = done.request.path
    assert staff.get(task_page + "/file").status_code == 200
    for outsider, status in ((company, 403), (colleague, 404)):  # another person's export is not theirs
        assert outsider.get(task_page).status_code == status
        assert outsider.get(task_page + "/file").status_code == status


def test_one_click_is_one_export_and_a_retry_stores_no_second_file(client, freeze, logged_in):
    freeze("2024-06-20T10:00:00+08:00")
    _hostile_roster()
    logged_in("bureau")
    page = soup(client.get("/staff/exports/?programme=2024"))
    form = page.select_one("tr[data-kind=roster] form.export-xlsx")
    fields = {i["name"]: i["value"] for i in form.select("input")}
    first = client.post(form["action"], data=fields)
    again = client.post(form["action"], data=fields)  # a double click, a resubmitted form
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "export.roster")) == 1
    task = db.session.scalar(select(Task).where(Task.kind == jobs.KIND))
    assert task.status == "done" and task.progress_done == task.progress_total == 6

    assert jobs.build(task) == task.result  # a second attempt (its worker died before the task was closed)
    assert db.session.scalar(select(func.count(StoredFile.id))) == 1
    other = _export(client, "roster", "xlsx")  # a new visit to the page is a new export
    assert other.status_code == 200
    assert db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.kind == "export")) == 2


def test_the_task_page_shows_progress_from_the_database_and_refreshes_itself(client, logged_in):
    user = logged_in("insurer")
    stamp = now()
    payload = {"kind": "roster", "format": "xlsx", "programme_id": f.programme().id, "year": 2024,
               "filename": "tongbao-roster-2024.xlsx", "language": "zh", "rows": 5000, "actor_id": user.id}  # fmt: skip
    task = Task(kind=jobs.KIND, payload=payload, status="running", created_at=stamp, enqueued_at=stamp,
                progress_done=2000, progress_total=5000)  # fmt: skip
    db.session.add(task)
    db.session.commit()
    page = soup(client.get(f"/staff/exports/tasks/{task.id}"))
    bar = page.select_one("progress#export-progress")
    assert (bar["value"], bar["max"]) == ("2000", "5000")
    assert page.select_one("meta[http-equiv=refresh]")["content"] == "2"
    assert "已写入 2000 / 5000 行" in page.get_text() and page.select_one("a.download") is None
    assert page.select("script:not([src])") == []
    assert client.get(f"/staff/exports/tasks/{task.id}/file").status_code == 404


def test_a_worker_writes_the_headers_in_the_language_the_export_was_asked_in(app):
    """A worker has no request: the language travels in the task."""
    _hostile_roster()
    user = f.make_user("bureau", "officer@bureau.test")
    stamp = now()
    payload = {"kind": "roster", "format": "csv", "programme_id": f.programme().id, "year": 2024,
               "filename": "tongbao-roster-2024.csv", "language": "en", "rows": 6, "actor_id": user.id}  # fmt: skip
    task = Task(kind=jobs.KIND, payload=payload, status="running", created_at=stamp, enqueued_at=stamp)
    db.session.add(task)
    db.session.commit()
    result = jobs.build(task)
    stored = db.session.get(StoredFile, result["file_id"])
    table = list(csv.reader(io.StringIO(stored.data.decode("utf-8-sig"))))
    assert table[0][:2] == ["USCC", "Enterprise"] and len(table) == 7
    assert (stored.kind, stored.content_type) == ("export", "text/csv; charset=utf-8")
