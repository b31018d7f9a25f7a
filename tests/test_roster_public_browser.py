"""In a real browser: a member of the public searches the board and files an objection; the
officer resolves it and confirms the roster. axe-core finds no serious or critical violation on
the public pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.roster.models import Objection, Roster

from . import factories as f
from .board_seed import OPEN, seed_board


@pytest.mark.browser
def test_public_objects_officer_resolves_and_confirms(page, app, freeze):
    freeze(OPEN)
    seeded = seed_board(extra=3)
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()

    # a member of the public finds the enterprise and objects
    page.goto("/notices")
    page.get_by_role("link", name="查看和搜索 2024 年度名单").click()
    page.get_by_label("企业名称或统一社会信用代码").fill("华为")
    page.get_by_role("button", name="搜索").click()
    row = page.locator("table.board tbody tr")
    assert row.count() == 1
    assert row.locator("td.entry-uscc").inner_text() == seeded.huawei.uscc
    row.get_by_role("link", name=re.compile("提出异议")).click()
    assert page.get_by_label("被异议企业的统一社会信用代码").input_value() == seeded.huawei.uscc
    assert "深圳市华为技术有限公司" in page.locator(".objection-target").inner_text()
    page.get_by_label("异议理由").fill("该企业2023年出口额超过800万美元，不符合统保条件。")
    page.get_by_label("您的姓名").fill("王五")
    page.get_by_label("联系方式（邮箱或电话）").fill("whistle@example.org")
    page.get_by_role("button", name="提交异议").click()
    reference = page.locator(".objection-reference").inner_text().strip()
    assert re.fullmatch(r"YY-2024-[2-9A-HJ-NP-Z]{8}", reference)

    # after the period, the officer resolves it and confirms the roster
    freeze("2024-05-27T09:00:00+08:00")
    page.goto("/login")
    page.get_by_label("邮箱或统一社会信用代码").fill("officer@bureau.test")
    page.get_by_label("密码").fill(f.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/staff/roster/")
    assert page.get_by_role("button", name="确认名单").is_disabled()
    assert "1 件异议未处理" in page.locator(".confirm-panel .blockers").inner_text()
    assert serious_violations(page) == []  # the staff pages are accessible too
    page.goto("/staff/roster/objections")
    page.get_by_role("link", name=reference).click()
    assert serious_violations(page) == []
    page.get_by_label("异议成立：将该企业移出名单").check()
    page.get_by_label("给异议人的书面答复").fill("经核实，异议成立，该企业已移出名单。感谢您的监督。")
    page.get_by_role("button", name="提交处理结果").click()
    page.get_by_role("button", name="确认执行").click()
    assert "已处理" in page.locator(".flashes").inner_text()
    page.goto("/staff/roster/")
    page.get_by_role("button", name="确认名单").click()
    page.get_by_role("button", name="确认执行").click()
    assert "名单已确认" in page.locator(".flashes").inner_text()
    state = page.locator("tr[data-roster='1'] .roster-state").inner_text().strip()
    assert state.splitlines()[0] == "已确认"
    # the invitations ran as tasks (inline in tests): all four listed enterprises are invited
    assert page.locator("tr[data-roster='1'] .invite-progress").inner_text().strip() == "激活邀请 4 / 4"

    db.session.commit()  # end this test's read snapshot: the server wrote
    assert db.session.scalar(select(Roster.status)) == "confirmed"
    objection = db.session.scalar(select(Objection))
    assert objection.status == "upheld" and objection.entry.status == "removed"
    reply = db.session.scalar(select(OutboxMessage).where(OutboxMessage.template == "objection_reply"))
    assert reply.recipient == "whistle@example.org"
    invited = set(db.session.scalars(select(OutboxMessage.enterprise_id).where(OutboxMessage.job == "invitation")))
    assert seeded.huawei.id not in invited and seeded.bright.id in invited

    # the public sees the outcome
    page.goto(f"/notices/2024/objections/{reference}")
    assert "异议成立" in page.locator(".objection-status").inner_text()


def serious_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.browser
def test_public_pages_have_no_serious_accessibility_violations(page, app, freeze):
    freeze(OPEN)
    seeded = seed_board()
    db.session.commit()
    found: dict[str, list[str]] = {}
    for path in (
        "/",
        "/notices",
        "/notices/2024",
        "/notices/2024?q=测试",
        "/notices/2024?q=华",
        f"/notices/2024?q=华为&objection={seeded.huawei.uscc}",
    ):
        page.goto(path)
        found[path] = serious_violations(page)
    # the objection form with its errors shown, and a receipt
    page.goto(f"/notices/2024?objection={seeded.huawei.uscc}")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_selector(".error-summary")
    found["objection form with errors"] = serious_violations(page)
    page.get_by_label("异议理由").fill("该企业出口额超过限额。")
    page.get_by_label("您的姓名").fill("王五")
    page.get_by_label("联系方式（邮箱或电话）").fill("13912345678")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_selector(".objection-reference")
    found["objection receipt"] = serious_violations(page)
    assert {path: v for path, v in found.items() if v} == {}


PHONE = {"width": 390, "height": 844}


def fits_the_phone(page) -> bool:  # type: ignore[no-untyped-def]
    """No sideways scrolling: the document is no wider than the 390 px screen."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.browser
def test_on_a_phone_the_board_is_cards_filtered_by_district_with_the_objection_link_in_reach(page, app, freeze):
    freeze(OPEN)
    seeded = seed_board()
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto("/notices/2024")
    assert fits_the_phone(page)
    assert page.locator(".result-summary").inner_text().strip() == "名单共 28 家企业。"
    cards = page.locator("table.board tbody tr")
    assert cards.first.evaluate("el => getComputedStyle(el).display") == "block"  # a card, not a table row
    # the column headers are kept for screen readers only; each card labels its own lines
    assert page.locator("table.board thead").evaluate("el => el.getBoundingClientRect().height") <= 1
    label = cards.first.locator("td.entry-uscc").evaluate("el => getComputedStyle(el, '::before').content")
    assert label == '"统一社会信用代码"'

    # filter by district on the phone
    page.get_by_label("所属区").select_option(label="宝安区")
    page.get_by_role("button", name="搜索").click()
    assert page.locator(".result-summary").inner_text().strip() == "找到 1 家企业。"
    assert cards.count() == 1
    assert "Shenzhen BRIGHT Lighting Co., Ltd." in cards.first.inner_text()
    assert fits_the_phone(page)
    link = cards.first.get_by_role("link", name=re.compile("提出异议"))
    assert link.is_visible()
    box = link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert serious_violations(page) == []

    link.click()
    assert page.get_by_label("被异议企业的统一社会信用代码").input_value() == seeded.bright.uscc
    assert fits_the_phone(page)
    # the filter survives the trip to the objection form
    assert page.get_by_label("所属区").evaluate("el => el.selectedOptions[0].textContent") == "宝安区"


@pytest.mark.browser
def test_on_a_phone_the_page_jump_reaches_the_last_page(page, app, freeze):
    freeze(OPEN)
    seed_board()
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto("/notices/2024")
    page.get_by_label("跳至第几页（共 2 页）").fill("2")
    page.get_by_role("button", name="跳转").click()
    assert "第 2 / 2 页" in page.locator(".pager").inner_text()
    assert page.locator("table.board tbody tr").count() == 8
    assert fits_the_phone(page)
