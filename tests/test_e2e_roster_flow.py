"""Issue 2 end to end in a real browser: the officer imports a file and publishes it, a member of
the public searches the board and objects, the officer resolves the objection and confirms."""

from __future__ import annotations

import io
import re

import pytest
import xlsxwriter
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.roster.models import Objection, Roster, RosterEntry

from . import factories as f

HEADERS = ["序号", "统一社会信用代码", "企业名称", "所属区", "出口额（美元）", "联系人", "手机", "邮箱"]


def roster_file() -> bytes:
    rows = [
        [1, f.make_uscc(801), "深圳市华为技术有限公司", "龙岗区", "7,654,321.00", "张三", "13800000001", "hw@x.cn"],
        [2, f.make_uscc(802), "深圳市光明照明有限公司", "光明区", 8000000, "李四", "13800000002", "gm@x.cn"],
        [3, f.make_uscc(803), "深圳市大鹏海洋科技有限公司", "大鹏新区", "120000.5", "王五", "13800000003", "dp@x.cn"],
        [4, f.make_uscc(804), "深圳市超额贸易有限公司", "南山区", "8000000.01", "赵六", "13800000004", "big@x.cn"],
    ]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("名单")
    sheet.write_row(0, 0, HEADERS)
    for i, row in enumerate(rows, start=1):
        sheet.write_row(i, 0, row)
    book.close()
    return buffer.getvalue()


@pytest.mark.browser
def test_import_publish_object_resolve_confirm(page, browser, live_server, app, freeze, tmp_path):
    freeze("2024-05-15T09:00:00+08:00")
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    upload = tmp_path / "2024年名单.xlsx"
    upload.write_bytes(roster_file())

    # the officer imports the bureau's spreadsheet
    page.goto("/login")
    page.get_by_label("邮箱或统一社会信用代码").fill("officer@bureau.test")
    page.get_by_label("密码").fill(f.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/staff/roster/")
    page.get_by_role("link", name="导入名单").first.click()
    page.set_input_files("#file", str(upload))
    page.click("#submit")
    page.wait_for_selector("h1:has-text('检查报告')")
    assert page.inner_text(".count-errors") == "0"
    page.click("#submit_all")
    page.wait_for_selector("h1:has-text('导入完成')")
    assert page.inner_text(".count-imported") == "3"  # 8,000,000.01 stays off the roster

    # ...and publishes it for the default 7 days from 20 May
    page.goto("/staff/roster/")
    page.get_by_label("公示开始日").fill("2024-05-20")
    page.get_by_role("button", name="发布公示").click()
    # the second look: how many names go public, and nothing is public yet
    assert page.locator("tr[data-count=enterprises] .confirmation-count").inner_text() == "3"
    db.session.commit()
    assert db.session.scalar(select(Roster.status)) == "draft"
    page.get_by_role("button", name="确认执行").click()
    db.session.commit()
    roster = db.session.scalar(select(Roster))
    assert (roster.status, str(roster.notice_start), str(roster.notice_end)) == ("notice", "2024-05-20", "2024-05-26")

    # a member of the public, in another browser, searches and objects during the period
    freeze("2024-05-26T23:59:00+08:00")
    public = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    public.goto("/notices/2024")
    public.get_by_label("企业名称或统一社会信用代码").fill("华为")
    public.get_by_role("button", name="搜索").click()
    rows = public.locator("table.board tbody tr")
    assert rows.count() == 1
    board_text = public.locator("main").inner_text()
    assert "7,654,321" not in board_text and "7654321" not in board_text  # never an amount
    rows.first.get_by_role("link", name=re.compile("提出异议")).click()
    public.get_by_label("异议理由").fill("据了解该企业出口额较大，请核实。")
    public.get_by_label("您的姓名").fill("钱七")
    public.get_by_label("联系方式（邮箱或电话）").fill("13900000000")
    public.get_by_role("button", name="提交异议").click()
    reference = public.locator(".objection-reference").inner_text().strip()
    assert reference.startswith("YY-2024-")

    # after the period the officer dismisses the objection with a reply and confirms
    freeze("2024-05-27T09:00:00+08:00")
    page.goto("/staff/roster/objections")
    page.get_by_role("link", name=reference).click()
    page.get_by_label(re.compile("异议不成立")).check()
    page.get_by_label("给异议人的书面答复").fill("经核实，该企业2023年出口额未超过800万美元，异议不成立。")
    page.get_by_role("button", name="提交处理结果").click()
    page.goto("/staff/roster/")
    page.get_by_role("button", name="确认名单").click()
    page.get_by_role("button", name="确认执行").click()
    assert "名单已确认" in page.locator(".flashes").inner_text()

    db.session.commit()
    assert db.session.scalar(select(Roster.status)) == "confirmed"
    assert db.session.scalar(select(Objection.status)) == "dismissed"
    listed = db.session.scalar(select(func.count(RosterEntry.id)).where(RosterEntry.eligible.is_(True)))
    assert listed == 3
    reply = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "objection_reply"))
    assert (reply.channel, reply.recipient) == ("sms", "13900000000")
    invited = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.job == "invitation"))
    assert invited == 6  # email and SMS to each of the three listed enterprises
