"""The second look before a mass or irreversible staff action: the page says what will happen and to
how many, and those numbers are what then happens; a stale, reused or cancelled confirmation
changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from intranet.audit.models import AuditLog
from intranet.extensions import db
from intranet.losses.models import LossInvoice
from intranet.outbox.models import OutboxMessage
from intranet.policies.models import Policy
from intranet.roster.models import Objection, Roster

from . import factories as f
from .board_seed import objection_data, seed_board
from .helpers import confirm_page, form_fields, soup, submit, text_of

OPEN = "2024-05-22T10:00:00+08:00"
ENDED = "2024-05-27T09:00:00+08:00"


def counts(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = soup(response)
    return {
        row.select_one("th").get_text(strip=True): row.select_one("td").get_text(strip=True)
        for row in page.select("table.confirmation-counts tr")
    }


def draft(n: int) -> Roster:
    roster = f.make_roster(f.programme(2024), seq=1)
    for i in range(1, n + 1):
        f.add_entry(roster, f.make_enterprise(i))
    db.session.commit()
    return roster


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action)))


def test_publish_shows_how_many_names_go_public_then_does_exactly_that(client, freeze, logged_in):
    freeze("2024-05-20T08:00:00+08:00")
    roster = draft(12)
    logged_in("bureau")
    page = submit(client, "/staff/roster/", form="form.publish-form")
    assert page.status_code == 200
    assert counts(page) == {"涉及企业（家）": "12"}
    assert "2024-05-20 至 2024-05-26" in soup(page).select_one(".confirmation-title").get_text()
    who = [li.get_text(strip=True) for li in soup(page).select(".confirmation-who li")]
    assert len(who) == 10 and who[0] == "深圳市测试1号科技有限公司"
    assert soup(page).select_one(".confirmation-more").get_text(strip=True) == "以及另外 2 个"
    db.session.refresh(roster)
    assert roster.status == "draft" and "roster.publish" not in audit_actions()  # nothing yet

    done = confirm_page(client, page)
    assert "名单已发布公示" in text_of(done)
    db.session.refresh(roster)
    assert roster.status == "notice"
    assert len(soup(client.get("/notices/2024")).select("td.entry-name")) == 12


def test_cancel_changes_nothing(client, freeze, logged_in):
    freeze("2024-05-20T08:00:00+08:00")
    roster = draft(3)
    logged_in("bureau")
    page = submit(client, "/staff/roster/", form="form.publish-form")
    cancelled = confirm_page(client, page, cancel=True)
    assert "已取消，没有做任何更改" in text_of(cancelled)
    assert cancelled.request.path == "/staff/roster/"
    db.session.refresh(roster)
    assert roster.status == "draft" and "roster.publish" not in audit_actions()


def test_a_stale_confirmation_is_refused_and_asks_again_with_the_new_numbers(client, freeze, logged_in):
    freeze("2024-05-20T08:00:00+08:00")
    roster = draft(3)
    logged_in("bureau")
    page = submit(client, "/staff/roster/", form="form.publish-form")
    assert counts(page)["涉及企业（家）"] == "3"
    f.add_entry(roster, f.make_enterprise(40))  # another officer's import lands in between
    db.session.commit()

    again = confirm_page(client, page)
    assert again.status_code == 409
    assert "数字已经变化" in text_of(again)
    assert soup(again).select_one(".confirmation-changes").get_text(strip=True) == "涉及企业（家）：3 → 4"
    assert counts(again)["涉及企业（家）"] == "4"
    db.session.refresh(roster)
    assert roster.status == "draft"

    confirm_page(client, again)
    db.session.refresh(roster)
    assert roster.status == "notice"


def test_a_used_confirmation_cannot_be_replayed(client, freeze, logged_in):
    moment = freeze("2024-07-20T10:00:00+08:00")
    prog = f.programme()
    for n in (1, 2):
        f.make_policy(f.confirmed_enterprise(n), prog, claimed_at=moment - timedelta(days=3), on_time=False)
    db.session.commit()
    logged_in("insurer")
    page = submit(client, "/staff/policies/queue", form="form.issue-all")
    assert counts(page) == {"保单（份）": "2", "涉及企业（家）": "2"}
    node = soup(page).select_one("form.confirmation-form")
    replay = form_fields(node)
    confirm_page(client, page)
    assert db.session.scalar(select(func.count(Policy.id)).where(Policy.status == "issued")) == 2

    # a third claim arrives; the old page's token is posted again
    f.make_policy(f.confirmed_enterprise(3), prog, claimed_at=moment, on_time=False)
    db.session.commit()
    refused = client.post(node["action"], data=replay)
    assert refused.status_code == 409
    assert "已经使用过" in text_of(refused)
    assert db.session.scalar(select(func.count(Policy.id)).where(Policy.status == "issued")) == 2
    assert audit_actions().count("policy.issue_all") == 1


def test_confirming_a_roster_says_how_many_invitations_and_sends_that_many(client, freeze, logged_in):
    freeze(OPEN)
    seeded = seed_board(extra=4)  # 6 listed; Huawei has email and mobile, the others too
    holder = seeded.listed[2].enterprise  # already claimed (e.g. through the single window)
    f.make_policy(holder, f.programme(), claimed_at=f.now())
    db.session.commit()
    freeze(ENDED)
    logged_in("bureau")
    page = submit(client, "/staff/roster/", form="form.confirm-form")
    shown = counts(page)
    assert shown == {"涉及企业（家）": "5", "将发送的消息（邮件和短信，条）": "10"}
    assert holder.name not in text_of(page)
    confirm_page(client, page)
    sent = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "invitation")))
    assert len(sent) == 10 and len({m.enterprise_id for m in sent}) == 5
    assert holder.id not in {m.enterprise_id for m in sent}
    assert db.session.get(Roster, seeded.roster.id).status == "confirmed"


def test_upholding_an_objection_is_confirmed_dismissing_is_one_click(client, freeze, logged_in):
    freeze(OPEN)
    seeded = seed_board(extra=2)
    for uscc in (seeded.huawei.uscc, seeded.bright.uscc):
        submit(client, "/notices/2024?objection=", objection_data(uscc), form="form.objection-form")
    first, second = db.session.scalars(select(Objection).order_by(Objection.id)).all()
    logged_in("bureau")
    link = f"/staff/roster/objections/{first.id}"
    page = submit(client, link, {"decision": "upheld", "reply": "异议成立"}, form="form.resolve-form")
    assert counts(page) == {"涉及企业（家）": "1", "将发送的消息（邮件和短信，条）": "1"}
    assert "深圳市华为技术有限公司" in soup(page).select_one(".confirmation-who").get_text()
    confirm_page(client, page, cancel=True)
    db.session.refresh(first)
    assert first.status == "open" and first.entry.status == "listed"
    confirm_page(client, page)
    db.session.refresh(first)
    assert first.status == "upheld" and first.entry.status == "removed"

    dismissed = submit(
        client, f"/staff/roster/objections/{second.id}", {"decision": "dismissed", "reply": "不成立"},
        form="form.resolve-form",
    )  # fmt: skip
    assert soup(dismissed).select_one("form.confirmation-form") is None
    db.session.refresh(second)
    assert second.status == "dismissed"


def test_paying_a_claim_shows_the_amount_that_is_then_paid(client, freeze, logged_in):
    freeze("2024-09-01T10:00:00+08:00")
    _enterprise, _user, policy = f.loss_policy_holder(1)
    report = f.make_loss(policy, amount="230000.00")
    db.session.add(LossInvoice(report_id=report.id, amount_usd=Decimal("230000.00"), shipment_date=date(2024, 7, 10)))
    db.session.commit()
    logged_in("insurer")
    submit(client, f"/staff/losses/{report.id}", form=f"form[action='/staff/losses/{report.id}/accept']")
    page = submit(client, f"/staff/losses/{report.id}", {"decide-decision": "pay"}, form="form.decide-form")
    assert counts(page)["金额（美元）"] == "150,000.00"
    confirm_page(client, page)
    db.session.refresh(report)
    assert report.status == "paid" and report.paid_usd == Decimal("150000.00")


def test_publishing_a_risk_notice_says_how_many_holders_it_reaches(client, freeze, logged_in):
    freeze("2024-09-01T10:00:00+08:00")
    prog = f.programme()
    for n in (1, 2, 3):
        f.make_policy(
            f.confirmed_enterprise(n), prog, status="issued", claimed_at=f.now(), policy_no=f"TB2024-SZ-00000{n}",
            issue_date=date(2024, 7, 1), cover_start=date(2024, 7, 1), cover_end=date(2025, 6, 30),
        )  # fmt: skip
    notice = f.make_notice("九月国别风险", month="2024-09", status="draft")
    db.session.commit()
    logged_in("insurer")
    page = submit(client, f"/staff/notices/{notice.id}", form="form.publish-form")
    assert counts(page) == {"涉及企业（家）": "3"}
    db.session.refresh(notice)
    assert notice.status == "draft"
    confirm_page(client, page)
    db.session.refresh(notice)
    assert notice.status == "published"
