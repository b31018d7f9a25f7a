"""Draft rosters staff can fix: discard a draft, remove a row with a reason, choose where an import
lands, see the over-threshold rows, and start from the import template."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.audit.models import AuditLog
from intranet.enterprises.models import Enterprise
from intranet.extensions import db
from intranet.roster.importing import jobs
from intranet.roster.models import Roster, RosterEntry

from . import factories as f
from .helpers import confirm_page, soup, submit, text_of
from .sheets import row, xlsx_bytes

NEW = "/staff/roster/import/"


@pytest.fixture
def officer(logged_in):  # type: ignore[no-untyped-def]
    return logged_in("bureau", "officer@bureau.test")


def upload(client, content: bytes) -> str:  # type: ignore[no-untyped-def]
    response = submit(
        client, NEW, {"file": (io.BytesIO(content), "roster.xlsx")}, form="form[enctype]", follow_redirects=False
    )
    assert response.status_code == 302
    return response.headers["Location"]


def draft(n: int, seq: int = 1) -> Roster:
    roster = f.make_roster(f.programme(2024), seq=seq)
    for i in range(1, n + 1):
        f.add_entry(roster, f.make_enterprise(100 * seq + i))
    db.session.commit()
    return roster


def rosters() -> list[tuple[int, str, int]]:
    db.session.expire_all()
    found = db.session.scalars(select(Roster).order_by(Roster.seq)).all()
    count = {
        rid: n
        for rid, n in db.session.execute(select(RosterEntry.roster_id, func.count()).group_by(RosterEntry.roster_id))
    }
    return [(r.seq, r.status, count.get(r.id, 0)) for r in found]


def test_discard_a_draft_after_confirming(client, officer):
    roster_id = draft(3).id
    page = submit(client, "/staff/roster/", form="form.discard-draft")
    assert soup(page).select_one("tr[data-count=enterprises] td").get_text(strip=True) == "3"
    assert rosters() == [(1, "draft", 3)]  # asked, not done
    done = confirm_page(client, page)
    assert "草稿名单已删除：3 行" in text_of(done)
    assert rosters() == []
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.discard"))
    assert log.object_id == str(roster_id) and log.changes["rows"] == 3
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 3  # the enterprises stay


def test_a_published_roster_cannot_be_discarded_or_edited(client, officer):
    roster = draft(2)
    roster.status, roster.notice_start, roster.notice_end = "notice", date(2024, 5, 20), date(2024, 5, 26)
    db.session.commit()
    page = soup(client.get("/staff/roster/"))
    assert page.select_one("form.discard-draft") is None
    token = page.select_one("input[name=csrf_token]")["value"]
    refused = client.post(f"/staff/roster/{roster.id}/discard", data={"csrf_token": token}, follow_redirects=True)
    assert "正在公示，不能修改" in text_of(refused)
    entry = db.session.scalars(select(RosterEntry)).first()
    client.post(f"/staff/roster/entries/{entry.id}/remove", data={"csrf_token": token, "reason": "重复"})
    assert rosters() == [(1, "notice", 2)]
    assert soup(client.get(f"/staff/roster/{roster.id}/entries")).select_one("form.remove-entry") is None


def test_remove_a_row_of_a_draft_with_a_reason(client, officer):
    roster = draft(3)
    entries_url = f"/staff/roster/{roster.id}/entries"
    target = f.make_uscc(102)
    form = f"form.remove-entry[data-entry='{target}']"
    without = submit(client, entries_url, {"reason": ""}, form=form)
    assert "请填写移除原因" in text_of(without)
    assert rosters() == [(1, "draft", 3)]
    done = submit(client, entries_url, {"reason": "营业执照已注销"}, form=form)
    assert "已从草稿名单移除" in text_of(done)
    assert rosters() == [(1, "draft", 2)]
    assert target not in text_of(done)
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "roster.entry_remove"))
    assert log.changes["uscc"] == target and log.changes["reason"] == "营业执照已注销"
    assert log.actor_user_id == officer.id


def test_the_import_says_where_the_rows_land_and_lets_staff_choose(client, officer):
    existing = draft(2)
    job_url = upload(client, xlsx_bytes([row(1), row(2)]))
    report = soup(client.get(job_url))
    choices = {i["value"]: i.find_next("label").get_text(strip=True) for i in report.select("input[name=target]")}
    assert choices == {
        str(existing.id): "添加到草稿名单：2024 主名单（现有 2 行）",
        "new": "新建补充名单：2024 补充名单1",
    }
    assert report.select_one(f"input[name=target][value='{existing.id}']").has_attr("checked")
    submit(client, job_url, {"submit_all": "导入", "target": "new"}, form="form[action$='/apply']")
    assert rosters() == [(1, "draft", 2), (2, "draft", 2)]
    assert "已导入到：2024 补充名单1" in text_of(client.get(job_url))

    # a second file added to the first draft, on purpose
    second = upload(client, xlsx_bytes([row(3)]))
    submit(client, second, {"submit_all": "导入", "target": str(existing.id)}, form="form[action$='/apply']")
    assert rosters() == [(1, "draft", 3), (2, "draft", 2)]
    assert "已导入到：2024 主名单" in text_of(client.get(second))


def test_a_draft_discarded_after_the_check_is_not_written_to(client, officer):
    existing = draft(1).id
    job_url = upload(client, xlsx_bytes([row(1)]))
    report = submit(client, "/staff/roster/", form="form.discard-draft")
    confirm_page(client, report)
    token = soup(client.get(NEW)).select_one("input[name=csrf_token]")["value"]
    data = {"csrf_token": token, "submit_all": "y", "target": str(existing)}
    stale = client.post(f"{job_url}/apply", data=data, follow_redirects=True)
    assert soup(stale).select_one(".flash-error") is not None
    assert rosters() == []
    # the same choice reaching the task (the draft went between the click and the write)
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    jobs.apply(officer, job_id, accept_good_rows=False, accepted_rows=[], now=f.now(), target=str(existing))
    assert rosters() == []
    assert "所选的草稿名单已不存在" in text_of(client.get(job_url))


def test_over_threshold_rows_are_listed_and_downloadable(client, officer):
    job_url = upload(client, xlsx_bytes([row(1), row(2, "8,000,000.01"), row(3, 9_500_000), row(4, "8,000,000")]))
    report = soup(client.get(job_url))
    rows = report.select("table.over-threshold-rows tbody tr")
    listed = [[td.get_text(strip=True) for td in tr.select("td")] for tr in rows]
    assert listed == [
        ["3", f.make_uscc(2), "深圳市测试2号科技有限公司", "8,000,000.01"],
        ["4", f.make_uscc(3), "深圳市测试3号科技有限公司", "9,500,000.00"],
    ]
    download = client.get(report.select_one("a[href$='over-threshold.csv']")["href"])
    lines = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert lines[0] == ["行", "统一社会信用代码", "企业名称", "出口额（美元）"]
    assert [line[1] for line in lines[1:]] == [f.make_uscc(2), f.make_uscc(3)]
    book = load_workbook(io.BytesIO(client.get(f"{job_url}/over-threshold.xlsx").get_data()))
    assert book.active.max_row == 3


def test_the_import_template_has_headers_an_example_and_the_rules_and_imports_as_is(client, officer):
    page = soup(client.get(NEW))
    response = client.get(page.select_one("a.download-template")["href"])
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    first, rules = book.worksheets
    values = [[c.value for c in r] for r in first.iter_rows()]
    assert values[0] == ["统一社会信用代码", "企业名称", "所属区", "出口额（美元）", "联系人", "手机", "邮箱"]
    assert len(values) == 2 and values[1][2] == "南山区"
    rule_text = " ".join(str(c.value) for r in rules.iter_rows() for c in r if c.value)
    assert "8,000,000.00" in rule_text and "宝安区" in rule_text and "2023" in rule_text
    job_url = upload(client, response.get_data())
    report = soup(client.get(job_url))
    assert not report.select("table.import-errors")
    submit(client, job_url, {"submit_all": "导入"}, form="form[action$='/apply']")
    assert rosters() == [(1, "draft", 1)]
