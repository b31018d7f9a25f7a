"""In a real browser, every confirmation step of a mass or irreversible staff action: the page shows
what will happen and to how many, and exactly that then happens; cancel changes nothing; a
confirmation whose numbers changed in between is refused and asks again with the new numbers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.policies.models import Policy
from intranet.roster.models import Objection, Roster, RosterEntry

from . import factories as f
from .board_seed import objection_data, seed_board

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _one_database(backend):  # type: ignore[no-untyped-def]
    if backend != "sqlite":
        pytest.skip("one database is enough for the browser path")


def log_in(page, who: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("#identifier", who)
    page.fill("#password", f.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/staff**")


def shown_counts(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The confirmation page's counts, as the officer reads them (key → number)."""
    page.wait_for_selector("table.confirmation-counts")
    rows = page.locator("table.confirmation-counts tr")
    return {
        rows.nth(i).get_attribute("data-count") or "": rows.nth(i).locator("td").inner_text().strip()
        for i in range(rows.count())
    }


def fresh() -> None:
    db.session.commit()  # end this test's read snapshot: the server wrote in between


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    fresh()
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_publishing_a_roster_cancel_then_stale_then_done(page, freeze):
    freeze("2024-05-20T08:00:00+08:00")
    roster = f.make_roster(f.programme(2024), seq=1)
    for n in range(1, 13):
        f.add_entry(roster, f.make_enterprise(n))
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    log_in(page, "officer@bureau.test")

    page.goto("/staff/roster/")
    page.click("form.publish-form button[type=submit]")
    assert shown_counts(page) == {"enterprises": "12"}
    assert page.locator(".confirmation-who li").count() == 10
    page.click("form.confirmation-form .cancel-button")
    page.wait_for_url("**/staff/roster/**")
    assert "已取消，没有做任何更改" in page.locator("main").inner_text()
    fresh()
    assert db.session.get(Roster, roster.id).status == "draft"

    page.click("form.publish-form button[type=submit]")
    assert shown_counts(page) == {"enterprises": "12"}
    f.add_entry(roster, f.make_enterprise(40))  # another officer's import lands in between
    db.session.commit()
    page.click("form.confirmation-form .confirm-button")
    assert page.locator(".confirmation-changes").inner_text().strip() == "涉及企业（家）：12 → 13"
    assert shown_counts(page) == {"enterprises": "13"}
    fresh()
    assert db.session.get(Roster, roster.id).status == "draft"

    page.click("form.confirmation-form .confirm-button")
    page.wait_for_url("**/staff/roster/**")
    fresh()
    assert db.session.get(Roster, roster.id).status == "notice"
    page.goto("/notices/2024")
    assert page.locator("td.entry-name, .entry-name").count() == 13


def test_confirming_a_roster_sends_as_many_invitations_as_it_said(page, freeze):
    freeze("2024-05-22T10:00:00+08:00")
    seeded = seed_board(extra=4)
    f.make_policy(seeded.listed[2].enterprise, f.programme(), claimed_at=f.now())  # already holds one
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    freeze("2024-05-27T09:00:00+08:00")
    log_in(page, "officer@bureau.test")

    page.goto("/staff/roster/")
    page.click("form.confirm-form button[type=submit]")
    counts = shown_counts(page)
    assert counts == {"enterprises": "5", "messages": "10"}
    page.click("form.confirmation-form .confirm-button")
    page.wait_for_url("**/staff/roster/**")
    sent = count(OutboxMessage, OutboxMessage.template == "invitation")
    assert sent == int(counts["messages"])
    assert db.session.get(Roster, seeded.roster.id).status == "confirmed"


def test_issuing_all_pending_policies_asks_again_when_a_claim_arrives(page, freeze):
    moment = freeze("2024-07-20T10:00:00+08:00")
    prog = f.programme()
    for n in (1, 2):
        f.make_policy(f.confirmed_enterprise(n), prog, claimed_at=moment - timedelta(days=3), on_time=False)
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    log_in(page, "clerk@sinosure.test")

    page.goto("/staff/policies/queue")
    page.click("form.issue-all button[type=submit]")
    assert shown_counts(page) == {"policies": "2", "enterprises": "2"}
    f.make_policy(f.confirmed_enterprise(3), prog, claimed_at=moment, on_time=False)
    db.session.commit()
    page.click("form.confirmation-form .confirm-button")
    assert shown_counts(page) == {"policies": "3", "enterprises": "3"}
    assert count(Policy, Policy.status == "issued") == 0

    page.click("form.confirmation-form .confirm-button")
    page.wait_for_url("**/staff/**")
    assert count(Policy, Policy.status == "issued") == 3


def test_upholding_an_objection_cancel_changes_nothing_confirm_removes_the_entry(page, freeze):
    freeze("2024-05-22T10:00:00+08:00")
    seeded = seed_board(extra=2)
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    page.goto("/notices/2024?objection=")
    for name, value in objection_data(seeded.huawei.uscc).items():
        page.fill(f"form.objection-form [name={name}]", value)
    page.click("form.objection-form button[type=submit]")
    fresh()
    objection = db.session.scalars(select(Objection)).one()
    log_in(page, "officer@bureau.test")

    page.goto(f"/staff/roster/objections/{objection.id}")
    page.check("input[name=decision][value=upheld]")
    page.fill("[name=reply]", "异议成立")
    page.click("form.resolve-form button[type=submit]")
    assert shown_counts(page) == {"enterprises": "1", "messages": "1"}
    assert "深圳市华为技术有限公司" in page.locator(".confirmation-who").inner_text()
    page.click("form.confirmation-form .cancel-button")
    fresh()
    db.session.refresh(objection)
    assert objection.status == "open" and objection.entry.status == "listed"

    page.goto(f"/staff/roster/objections/{objection.id}")
    page.check("input[name=decision][value=upheld]")
    page.fill("[name=reply]", "异议成立")
    page.click("form.resolve-form button[type=submit]")
    before = count(OutboxMessage)
    page.click("form.confirmation-form .confirm-button")
    page.wait_for_selector(".flash")
    fresh()
    db.session.refresh(objection)
    assert objection.status == "upheld" and objection.entry.status == "removed"
    assert count(OutboxMessage) - before == 1


def test_publishing_a_risk_notice_reaches_the_holders_it_counted(page, freeze):
    freeze("2024-09-01T10:00:00+08:00")
    prog = f.programme()
    for n in (1, 2, 3):
        f.make_policy(
            f.confirmed_enterprise(n), prog, status="issued", claimed_at=f.now(), policy_no=f"TB2024-SZ-00000{n}",
            issue_date=date(2024, 7, 1), cover_start=date(2024, 7, 1), cover_end=date(2025, 6, 30),
        )  # fmt: skip
    notice = f.make_notice("九月国别风险", month="2024-09", status="draft")
    f.make_user("insurer", "clerk@sinosure.test")
    db.session.commit()
    log_in(page, "clerk@sinosure.test")

    page.goto(f"/staff/notices/{notice.id}")
    page.click("form.publish-form button[type=submit]")
    assert shown_counts(page) == {"enterprises": "3"}
    page.click("form.confirmation-form .cancel-button")
    fresh()
    db.session.refresh(notice)
    assert notice.status == "draft"

    page.click("form.publish-form button[type=submit]")
    page.click("form.confirmation-form .confirm-button")
    page.wait_for_selector(".flash")
    fresh()
    db.session.refresh(notice)
    assert notice.status == "published"


def test_discarding_a_draft_roster_says_how_many_rows_go(page, freeze):
    freeze("2024-05-20T08:00:00+08:00")
    roster = f.make_roster(f.programme(2024), seq=1)
    for n in range(1, 5):
        f.add_entry(roster, f.make_enterprise(n))
    f.make_user("bureau", "officer@bureau.test")
    db.session.commit()
    roster_id = roster.id
    log_in(page, "officer@bureau.test")

    page.goto("/staff/roster/")
    page.click("form.discard-draft button[type=submit]")
    counts = shown_counts(page)
    assert list(counts.values()) == ["4"]
    page.click("form.confirmation-form .confirm-button")
    page.wait_for_url("**/staff/roster/**")
    db.session.expunge_all()
    assert count(Roster, Roster.id == roster_id) == 0
    assert count(RosterEntry, RosterEntry.roster_id == roster_id) == 0
