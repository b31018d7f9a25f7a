"""An urgent risk alert sent now, beside the monthly schedule: insurer staff press "立即发送预警" on a
published risk alert, a confirmation page says how many enterprises and messages, and once
confirmed the messages are queued at once (the notifier's next pass delivers them), each
enterprise once (not again on the notice day), audited. A stale confirmation asks again; cancel
changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from intranet.audit.models import AuditLog
from intranet.clock import SHANGHAI
from intranet.extensions import db
from intranet.outbox.models import OutboxMessage
from intranet.outbox.segments import sms_segments
from intranet.reminders.urgent import send_now

from . import factories as f
from .helpers import confirm_page, follows_to, soup, submit, text_of
from .notifier_sinks import tick

NOW = "2024-08-20T15:00:00+08:00"  # mid-month: the monthly push of September is 11 days away


def counts(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        row["data-count"]: row.select_one("td").get_text(strip=True)
        for row in soup(response).select("table.confirmation-counts tr")
    }


def notice_messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.job == "notice").order_by(OutboxMessage.id))
    )


def audited() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "notice.send_now")))


def holders() -> None:
    f.policy_holder(1, email="both@exporter.test", mobile="13800000001")
    f.policy_holder(2, email="mail@exporter.test", mobile=None)
    opted_out, _ = f.policy_holder(3, email="out@exporter.test", mobile="13800000003")
    opted_out.monthly_notices = False
    f.confirmed_enterprise(4, email="unclaimed@exporter.test", mobile="13800000004")


def alert(**fields: object):  # type: ignore[no-untyped-def]
    values = {"month": "2024-09", "category": "risk_alert", "countries": ["RU"], **fields}
    notice = f.make_notice("俄罗斯买方拖欠风险骤增，请立即核查应收账款", **values)  # type: ignore[arg-type]
    db.session.commit()
    return notice


def open_send_now(client, notice):  # type: ignore[no-untyped-def]
    return submit(client, f"/staff/notices/{notice.id}", form="form.send-now-form")


def test_send_now_says_how_many_then_queues_at_once_each_enterprise_once_and_audited(
    app, client, runner, freeze, logged_in, sinks
):
    smtp, sms = sinks
    now = freeze(NOW)
    holders()
    notice = alert()
    logged_in("insurer")

    page = open_send_now(client, notice)
    assert page.status_code == 200
    assert counts(page) == {"enterprises": "2", "messages": "3"}  # the opted-out and unclaimed get none
    assert soup(page).select_one(".confirmation-title").get_text(strip=True).startswith("立即发送风险预警：俄罗斯")
    assert [li.get_text(strip=True) for li in soup(page).select(".confirmation-who li")] == [
        "深圳市测试1号科技有限公司",
        "深圳市测试2号科技有限公司",
    ]
    assert notice_messages() == [] and audited() == []  # nothing yet

    done = confirm_page(client, page)
    assert "预警已进入发送队列：3 条消息" in text_of(done)
    queued = notice_messages()
    assert sorted((m.channel, m.recipient) for m in queued) == [
        ("email", "both@exporter.test"),
        ("email", "mail@exporter.test"),
        ("sms", "13800000001"),
    ]
    assert all(m.next_attempt_at == now for m in queued)
    text = next(m for m in queued if m.channel == "sms").body_text
    assert text.startswith("【统保】风险预警：俄罗斯") and sms_segments(text) == 1
    assert follows_to(text) == f"/portal/notices/{notice.id}"
    (row,) = audited()
    assert row.object_id == str(notice.id) and row.changes == {"enterprises": 2, "queued": 3}

    # the notifier's next pass (every few seconds) delivers them, not the 1st of next month
    summary = tick(runner, now)
    assert summary["sent"] == {"email": 2, "sms": 1}
    assert {r.to[0] for r in smtp.received} == {"both@exporter.test", "mail@exporter.test"}
    assert [r["to"] for r in sms.received] == ["13800000001"]

    # pressing again: nothing left to send; the notice day does not send it again either
    again = open_send_now(client, notice)
    assert "没有需要发送的消息" in text_of(again) and soup(again).select_one("form.confirmation-form") is None
    tick(runner, "2024-09-01T10:00:00+08:00")
    assert len(notice_messages()) == 3 and len(smtp.received) == 2 and len(audited()) == 1


def test_a_stale_confirmation_asks_again_with_the_new_numbers(app, client, freeze, logged_in):
    freeze(NOW)
    holders()
    notice = alert()
    logged_in("insurer")
    page = open_send_now(client, notice)
    assert counts(page) == {"enterprises": "2", "messages": "3"}

    f.policy_holder(5, email="new@exporter.test", mobile="13800000005")  # a policy issued meanwhile
    db.session.commit()
    stale = confirm_page(client, page)
    assert stale.status_code == 409
    assert "数字已经变化" in text_of(stale)
    assert counts(stale) == {"enterprises": "3", "messages": "5"}
    assert notice_messages() == [] and audited() == []

    confirm_page(client, stale)
    assert len(notice_messages()) == 5 and len(audited()) == 1


def test_cancel_changes_nothing(app, client, freeze, logged_in):
    freeze(NOW)
    holders()
    notice = alert()
    logged_in("insurer")
    cancelled = confirm_page(client, open_send_now(client, notice), cancel=True)
    assert "已取消，没有做任何更改" in text_of(cancelled)
    assert cancelled.request.path == f"/staff/notices/{notice.id}"
    assert notice_messages() == [] and audited() == []


def test_only_a_published_risk_alert_can_be_sent_now_and_only_by_insurer_staff(app, client, freeze, logged_in):
    freeze(NOW)
    holders()
    country = alert(category="country_risk")
    draft = alert(status="draft")
    user = logged_in("insurer")
    for notice in (country, draft):
        page = soup(client.get(f"/staff/notices/{notice.id}"))
        assert page.select_one("form.send-now-form") is None
        token = page.select_one("input[name=csrf_token]")["value"]
        refused = client.post(f"/staff/notices/{notice.id}/send-now", data={"csrf_token": token}, follow_redirects=True)
        assert "只有" in text_of(refused) and "立即发送" in text_of(refused)
    assert notice_messages() == [] and audited() == []
    assert user.role == "insurer"

    urgent = alert()
    client.post("/logout", data={"csrf_token": soup(client.get("/")).select_one("input[name=csrf_token]")["value"]})
    logged_in("bureau", on=client)
    page = soup(client.get(f"/staff/notices/{urgent.id}"))
    assert page.select_one("form.send-now-form") is None
    token = page.select_one("input[name=csrf_token]")["value"]
    assert client.post(f"/staff/notices/{urgent.id}/send-now", data={"csrf_token": token}).status_code == 403
    assert notice_messages() == []


def test_an_alert_in_the_sms_quiet_hours_says_when_the_sms_go(app, client, freeze, logged_in):
    freeze(datetime(2024, 8, 20, 22, 30, tzinfo=SHANGHAI))
    holders()
    notice = alert()
    logged_in("insurer")
    page = open_send_now(client, notice)
    details = [p.get_text(strip=True) for p in soup(page).select(".confirmation-detail")]
    assert any("短信免打扰时段" in line and "08:00" in line for line in details), details


def test_the_alert_sms_link_opens_the_notice_which_offers_the_opt_out(app, client, freeze, logged_in):
    freeze(NOW)
    enterprise, _ = f.policy_holder(1, mobile="13800000001")
    notice = alert()

    staff = f.make_user("insurer", "alerts@staff.test")
    db.session.commit()
    assert send_now(staff, notice, now=datetime.fromisoformat(NOW)) == 2  # email and SMS
    (sms,) = [m for m in notice_messages() if m.channel == "sms"]
    code = sms.body_text.rsplit("/s/", 1)[1]
    logged_in("enterprise", "boss@exporter.test", enterprise=enterprise)
    followed = client.get(f"/s/{code}")
    assert followed.status_code == 302 and followed.headers["Location"] == f"/portal/notices/{notice.id}"
    page = soup(client.get(followed.headers["Location"]))
    assert page.select_one("h1").get_text(strip=True) == notice.title
    assert page.select_one(".notice-opt-out a")["href"] == "/portal/notifications"
    assert [row.action for row in audited()] == ["notice.send_now"]


def test_the_pages_of_sending_now_pass_the_nu_html_checker(app, client, freeze, logged_in, backend):
    if backend == "postgresql":
        pytest.skip("the markup is the same on both databases")
    from .nu import nu_errors

    freeze(NOW)
    holders()
    notice = alert()
    logged_in("insurer")
    show = client.get(f"/staff/notices/{notice.id}")
    confirm = open_send_now(client, notice)
    missing = client.get("/s/Zz9Zz9Z")
    pages = {"notice": show.data, "confirm": confirm.data, "short-link-404": missing.data}
    assert nu_errors(pages) == []
